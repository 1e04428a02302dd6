//! Fields whose ids differ per Jira site: story points, the sprint field and the older Epic
//! Link, found by name and schema in the field list (`GET /rest/api/3/field`).

use super::is_missing_endpoint;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use serde::Deserialize;

/// The custom field ids this site uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct CustomFields {
    pub points: Vec<String>,
    pub sprint: Option<String>,
    pub epic_link: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Field {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    custom: bool,
    #[serde(default)]
    schema: Option<Schema>,
}

#[derive(Debug, Deserialize)]
struct Schema {
    #[serde(default)]
    custom: Option<String>,
}

/// Jira Software's own field types (the "greenhopper" plugin keys).
const SPRINT_TYPE: &str = "com.pyxis.greenhopper.jira:gh-sprint";
const EPIC_LINK_TYPE: &str = "com.pyxis.greenhopper.jira:gh-epic-link";
/// Company-managed projects call the estimate "Story Points", team-managed ones "Story point
/// estimate"; both are kept, the first with a value wins.
const POINTS_NAMES: [&str; 2] = ["story points", "story point estimate"];

impl CustomFields {
    fn from_list(list: &[Field]) -> Self {
        fn kind(f: &Field) -> Option<&str> {
            f.schema.as_ref().and_then(|s| s.custom.as_deref())
        }
        let named = |f: &Field, name: &str| f.name.eq_ignore_ascii_case(name);
        let custom = list.iter().filter(|f| f.custom);
        CustomFields {
            points: custom
                .clone()
                .filter(|f| POINTS_NAMES.iter().any(|n| named(f, n)))
                .map(|f| f.id.clone())
                .collect(),
            sprint: custom
                .clone()
                .find(|f| kind(f) == Some(SPRINT_TYPE) || named(f, "sprint"))
                .map(|f| f.id.clone()),
            epic_link: custom
                .clone()
                .find(|f| kind(f) == Some(EPIC_LINK_TYPE) || named(f, "epic link"))
                .map(|f| f.id.clone()),
        }
    }

    /// Reads the site's field list (v3, else v2 on Jira Data Center). A server without either
    /// gives no custom fields: issues are then synced without points and sprints.
    pub async fn discover(client: &HttpClient) -> Result<Self, SourceError> {
        for target in ["/rest/api/3/field", "/rest/api/2/field"] {
            match client.get_page(target).await {
                Ok(page) => return Ok(Self::from_list(&client.decode::<Vec<Field>>(&page)?)),
                Err(e) if is_missing_endpoint(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(CustomFields::default())
    }

    /// The custom field ids to ask for along with the system fields.
    pub fn requested(&self) -> Vec<&str> {
        self.points
            .iter()
            .map(String::as_str)
            .chain(self.sprint.as_deref())
            .chain(self.epic_link.as_deref())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_fields_are_found_by_type_or_name() {
        // The two system fields of the published `GET /rest/api/3/field` example, plus the
        // custom fields a Jira Software site adds.
        let list: Vec<Field> = serde_json::from_value(json!([
            {"clauseNames":["description"],"custom":false,"id":"description","name":"Description",
             "schema":{"system":"description","type":"string"}},
            {"clauseNames":["summary"],"custom":false,"id":"summary","key":"summary","name":"Summary",
             "schema":{"system":"summary","type":"string"}},
            {"custom":true,"id":"customfield_10016","name":"Story point estimate",
             "schema":{"type":"number","custom":"com.atlassian.jira.plugin.system.customfieldtypes:jsw-story-points"}},
            {"custom":true,"id":"customfield_10020","name":"Sprint",
             "schema":{"type":"array","items":"json","custom":SPRINT_TYPE}},
            {"custom":true,"id":"customfield_10014","name":"Epic Link",
             "schema":{"type":"any","custom":EPIC_LINK_TYPE}}
        ]))
        .unwrap();
        let found = CustomFields::from_list(&list);
        assert_eq!(found.points, ["customfield_10016"]);
        assert_eq!(found.sprint.as_deref(), Some("customfield_10020"));
        assert_eq!(found.epic_link.as_deref(), Some("customfield_10014"));
        assert_eq!(
            found.requested(),
            [
                "customfield_10016",
                "customfield_10020",
                "customfield_10014"
            ]
        );
        assert_eq!(
            CustomFields::from_list(&list[..2]),
            CustomFields::default(),
            "system fields named like nothing plumb needs"
        );
    }
}
