//! Source tokens: read from an environment variable or printed by a command, never stored in
//! the config file and never printed.

use super::schema::SourceConfig;
use std::fmt;
use std::process::Command;

/// A credential. `Debug` and `Display` print `[redacted]`; only [`Secret::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why a source's token could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "source `{source_name}`: environment variable {variable} is not set; export it or \
         change `token_env`"
    )]
    EnvUnset {
        source_name: String,
        variable: String,
    },
    #[error(
        "source `{source_name}`: environment variable {variable} is empty; set it to the token"
    )]
    EnvEmpty {
        source_name: String,
        variable: String,
    },
    #[error("source `{source_name}`: environment variable {variable} is not valid UTF-8")]
    EnvNotUnicode {
        source_name: String,
        variable: String,
    },
    #[error("source `{source_name}`: could not run token_command with sh: {error}")]
    Spawn {
        source_name: String,
        error: std::io::Error,
    },
    #[error(
        "source `{source_name}`: token_command failed ({status}){}; run it in a shell to see why",
        stderr_suffix(first_stderr_line)
    )]
    CommandFailed {
        source_name: String,
        status: std::process::ExitStatus,
        first_stderr_line: String,
    },
    #[error("source `{source_name}`: token_command printed nothing; it must print the token")]
    CommandEmpty { source_name: String },
    #[error("source `{source_name}`: token_command printed text that is not valid UTF-8")]
    CommandNotUnicode { source_name: String },
    #[error(
        "source `{source_name}` has no token_env or token_command; add one (tokens never go \
         in the config file)"
    )]
    Missing { source_name: String },
    #[error(
        "source `{source_name}` (datadog) has no app_key_env; Datadog needs an application key \
         besides the API key: name the environment variable that holds it"
    )]
    MissingAppKey { source_name: String },
}

fn stderr_suffix(line: &str) -> String {
    if line.is_empty() {
        String::new()
    } else {
        format!(": {line}")
    }
}

impl SourceConfig {
    /// The token for this source: from `token_env`, else the trimmed output of `token_command`
    /// run through `sh -c`. `Ok(None)` only for kinds where a token is optional (Prometheus).
    pub fn resolve_token(&self) -> Result<Option<Secret>, TokenError> {
        let source_name = self.name.clone();
        if let Some(variable) = &self.token_env {
            return token_from_env(source_name, variable, std::env::var(variable)).map(Some);
        }
        if let Some(command) = &self.token_command {
            return run_token_command(source_name, command).map(Some);
        }
        if self.kind == super::SourceKind::Prometheus {
            Ok(None)
        } else {
            Err(TokenError::Missing { source_name })
        }
    }

    /// A second credential from an environment variable (Jira's account email, Datadog's
    /// application key), with the same checks as a token.
    pub fn read_env(&self, variable: &str) -> Result<Secret, TokenError> {
        token_from_env(self.name.clone(), variable, std::env::var(variable))
    }
}

fn token_from_env(
    source_name: String,
    variable: &str,
    value: Result<String, std::env::VarError>,
) -> Result<Secret, TokenError> {
    let variable = variable.to_string();
    match value {
        Ok(v) if v.trim().is_empty() => Err(TokenError::EnvEmpty {
            source_name,
            variable,
        }),
        Ok(v) => Ok(Secret(v.trim().to_string())),
        Err(std::env::VarError::NotPresent) => Err(TokenError::EnvUnset {
            source_name,
            variable,
        }),
        Err(std::env::VarError::NotUnicode(_)) => Err(TokenError::EnvNotUnicode {
            source_name,
            variable,
        }),
    }
}

fn run_token_command(source_name: String, command: &str) -> Result<Secret, TokenError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|error| TokenError::Spawn {
            source_name: source_name.clone(),
            error,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(TokenError::CommandFailed {
            source_name,
            status: output.status,
            first_stderr_line: stderr.lines().next().unwrap_or_default().trim().to_string(),
        });
    }
    let text = String::from_utf8(output.stdout).map_err(|_| TokenError::CommandNotUnicode {
        source_name: source_name.clone(),
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(TokenError::CommandEmpty { source_name });
    }
    Ok(Secret(token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_values_are_trimmed_and_blank_ones_rejected() {
        let ok = token_from_env("gh".into(), "GH", Ok(" abc\n".into())).expect("token");
        assert_eq!(ok.expose(), "abc");
        let err = token_from_env("gh".into(), "GH", Ok("  ".into())).expect_err("blank");
        assert!(matches!(err, TokenError::EnvEmpty { .. }));
        assert!(err.to_string().contains("GH"), "{err}");
    }
}
