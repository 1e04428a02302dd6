//! Syncs one GitHub repository from a local fake server that answers every request after
//! 50 ms, with payloads generated from GitHub's published examples
//! (tests/fixtures/api/github): 10,000 pull requests (4 in 5 merged), 5,000 production
//! deployments, 20,000 workflow runs (1 in 20 re-run once), pages of 100.
//!
//! Cold sync: requests against the fewest the REST API allows for the fields plumb stores,
//! wall time against requests x latency / concurrency (target within 1.5x), bytes, rows/s.
//! The fewest requests, per resource:
//! - pulls: the list pages, then 3 per merged PR (detail for line counts, commits for the
//!   first commit, reviews for the first review); open and unmerged-closed PRs are written
//!   from the list alone;
//! - deployments: the list pages, then 1 statuses request per production deployment (its
//!   finish time is only there);
//! - deployment_changes: 1 compare per deployment that has a previous one in its chain;
//! - runs: the list pages, then 1 jobs request per re-run run (earlier attempts are only
//!   visible through the jobs of every attempt); runs never re-run need none;
//! - incidents, milestones: 1 page each here.
//!
//! Incremental sync with nothing new: one conditional request per listed resource, all 304,
//! zero rows written.
//!
//! Run with `cargo bench --bench sync`. `PLUMB_BENCH_SCALE` (default 1.0) scales the counts
//! down, `PLUMB_BENCH_CONCURRENCY` (default 16, the most a source may configure) sets the
//! source's concurrency and `PLUMB_BENCH_LATENCY_MS` (default 50) the server's latency.

use chrono::{Duration as ChronoDuration, Utc};
use plumb::config::{PrivacyConfig, Secret, SourceConfig, SourceKind};
use plumb::model::{Ownership, Timestamp};
use plumb::privacy::Privacy;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::{CancelFlag, SourceSummary, SyncEnv, SyncEvent, SyncOptions, sync_source};
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const REPO: &str = "octo-org/octo-repo";
const PER_PAGE: usize = 100;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/api/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn iso(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The generated repository.
#[derive(Debug, Clone, Copy)]
struct Shape {
    pulls: usize,
    deployments: usize,
    runs: usize,
}

impl Shape {
    fn merged(&self, k: usize) -> bool {
        k % 5 != 0
    }

    fn rerun(&self, r: usize) -> bool {
        r % 20 == 0
    }

    fn merged_count(&self) -> usize {
        (0..self.pulls).filter(|k| self.merged(*k)).count()
    }

    fn rerun_count(&self) -> usize {
        (0..self.runs).filter(|r| self.rerun(*r)).count()
    }

    /// The fewest requests a cold sync can make (see the file's comment).
    fn minimum(&self) -> Vec<(&'static str, usize)> {
        let pages = |n: usize| n.div_ceil(PER_PAGE).max(1);
        vec![
            ("pulls", pages(self.pulls) + 3 * self.merged_count()),
            ("deployments", pages(self.deployments) + self.deployments),
            ("deployment_changes", self.deployments.saturating_sub(1)),
            ("runs", pages(self.runs) + self.rerun_count()),
            ("incidents", 1),
            ("milestones", 1),
        ]
    }
}

/// Answers GitHub's endpoints for the generated repository.
struct FakeGitHub {
    /// The server's own address: requests arrive with `localhost` as their host.
    base: String,
    shape: Shape,
    epoch: Timestamp,
    latency: Duration,
    pull: Value,
    detail: Vec<u8>,
    commits: Vec<u8>,
    reviews: Vec<u8>,
    deployment: Value,
    status: Value,
    comparison: Value,
    run: Value,
    job: Value,
}

fn merge_sha(k: usize) -> String {
    format!("{:040x}", k + 1)
}

impl FakeGitHub {
    fn new(base: String, shape: Shape, latency: Duration) -> Self {
        let serialise = |v: &Value| serde_json::to_vec(v).unwrap_or_default();
        // No reviews example ships with the fixtures: one review with the fields plumb reads.
        let reviews = serde_json::json!([
            {"id": 80, "user": {"login": "hubot"}, "state": "APPROVED",
             "submitted_at": "2011-04-15T09:00:00Z"}
        ]);
        FakeGitHub {
            base,
            shape,
            epoch: Utc::now() - ChronoDuration::days(300),
            latency,
            pull: fixture("list-pull-requests.json")[0].clone(),
            detail: serialise(&fixture("get-pull-request.json")),
            commits: serialise(&fixture("list-pull-request-commits.json")),
            reviews: serialise(&reviews),
            deployment: fixture("list-deployments.json")[0].clone(),
            status: fixture("list-deployment-statuses.json")[0].clone(),
            comparison: fixture("compare-two-commits.json"),
            run: fixture("list-workflow-runs-for-repo.json")["workflow_runs"][0].clone(),
            job: fixture("list-jobs-for-workflow-run.json")["jobs"][0].clone(),
        }
    }

    fn ok(&self, body: Vec<u8>) -> ResponseTemplate {
        ResponseTemplate::new(200)
            .set_body_raw(body, "application/json")
            .insert_header("x-ratelimit-limit", "1000000")
            .insert_header("x-ratelimit-remaining", "999999")
            .insert_header("x-ratelimit-reset", "4102444800")
            .set_delay(self.latency)
    }

    /// One page of a list, newest first, with `Link` and (on the first page) an ETag.
    fn list(
        &self,
        request: &Request,
        resource: &str,
        total: usize,
        item: impl Fn(usize) -> Value,
        wrap: impl Fn(Vec<Value>) -> Value,
    ) -> ResponseTemplate {
        let etag = format!("\"{resource}-v1\"");
        let page: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        if page == 1
            && request
                .headers
                .get("if-none-match")
                .is_some_and(|v| v.as_bytes() == etag.as_bytes())
        {
            return ResponseTemplate::new(304).set_delay(self.latency);
        }
        let start = (page - 1) * PER_PAGE;
        let items: Vec<Value> = (start..(start + PER_PAGE).min(total))
            .map(|i| item(total - 1 - i))
            .collect();
        let mut response = self.ok(serde_json::to_vec(&wrap(items)).unwrap_or_default());
        let last = total.div_ceil(PER_PAGE).max(1);
        if page < last {
            let mut url = request.url.clone();
            let others: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let mut link = |n: usize| {
                url.query_pairs_mut()
                    .clear()
                    .extend_pairs(&others)
                    .append_pair("page", &n.to_string());
                format!(
                    "{}{}?{}",
                    self.base,
                    url.path(),
                    url.query().unwrap_or_default()
                )
            };
            let next = link(page + 1);
            let last = link(last);
            response = response.insert_header(
                "link",
                format!("<{next}>; rel=\"next\", <{last}>; rel=\"last\"").as_str(),
            );
        }
        if page == 1 {
            response = response.insert_header("etag", etag.as_str());
        }
        response
    }

    fn pull(&self, k: usize) -> Value {
        let mut p = self.pull.clone();
        let at = self.epoch + ChronoDuration::minutes(20 * k as i64);
        p["number"] = (k + 1).into();
        p["id"] = (k + 1).into();
        p["html_url"] = format!("https://github.com/{REPO}/pull/{}", k + 1).into();
        p["created_at"] = iso(at - ChronoDuration::hours(5)).into();
        p["updated_at"] = iso(at).into();
        if self.shape.merged(k) {
            p["state"] = "closed".into();
            p["merged_at"] = iso(at).into();
            p["merge_commit_sha"] = merge_sha(k).into();
        } else {
            p["state"] = "open".into();
            p["merged_at"] = Value::Null;
        }
        p
    }

    fn deployment_at(&self, j: usize) -> Timestamp {
        self.epoch + ChronoDuration::minutes(50 * j as i64)
    }

    fn deployment(&self, j: usize) -> Value {
        let mut d = self.deployment.clone();
        d["id"] = (j + 1).into();
        d["sha"] = merge_sha(2 * j + 1).into();
        d["created_at"] = iso(self.deployment_at(j)).into();
        d
    }

    fn run(&self, r: usize) -> Value {
        let mut run = self.run.clone();
        let at = self.epoch + ChronoDuration::minutes(10 * r as i64);
        run["id"] = (r + 1).into();
        run["status"] = "completed".into();
        run["conclusion"] = "success".into();
        run["run_attempt"] = if self.shape.rerun(r) { 2 } else { 1 }.into();
        run["created_at"] = iso(at).into();
        run["run_started_at"] = iso(at + ChronoDuration::minutes(1)).into();
        run["updated_at"] = iso(at + ChronoDuration::minutes(8)).into();
        run
    }

    fn jobs(&self) -> Value {
        let mut passed = self.job.clone();
        passed["run_attempt"] = 2.into();
        let mut failed = passed.clone();
        failed["id"] = 1.into();
        failed["run_attempt"] = 1.into();
        failed["conclusion"] = "failure".into();
        serde_json::json!({"total_count": 2, "jobs": [failed, passed]})
    }
}

impl Respond for FakeGitHub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let Some(rest) = path.strip_prefix(&format!("/repos/{REPO}/")) else {
            return ResponseTemplate::new(404);
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let shape = self.shape;
        match parts.as_slice() {
            ["pulls"] => self.list(
                request,
                "pulls",
                shape.pulls,
                |k| self.pull(k),
                Value::Array,
            ),
            ["pulls", _] => self.ok(self.detail.clone()),
            ["pulls", _, "commits"] => self.ok(self.commits.clone()),
            ["pulls", _, "reviews"] => self.ok(self.reviews.clone()),
            ["deployments"] => self.list(
                request,
                "deployments",
                shape.deployments,
                |j| self.deployment(j),
                Value::Array,
            ),
            ["deployments", id, "statuses"] => {
                let j: usize = id.parse::<usize>().unwrap_or(1).saturating_sub(1);
                let mut s = self.status.clone();
                s["created_at"] = iso(self.deployment_at(j) + ChronoDuration::minutes(5)).into();
                self.ok(serde_json::to_vec(&[s]).unwrap_or_default())
            }
            ["compare", basehead] => {
                let head = basehead.rsplit("...").next().unwrap_or_default();
                let mut c = self.comparison.clone();
                c["commits"][0]["sha"] = head.into();
                self.ok(serde_json::to_vec(&c).unwrap_or_default())
            }
            ["actions", "runs"] => self.list(
                request,
                "runs",
                shape.runs,
                |r| self.run(r),
                |runs| serde_json::json!({"total_count": shape.runs, "workflow_runs": runs}),
            ),
            ["actions", "runs", _, "jobs"] => {
                self.ok(serde_json::to_vec(&self.jobs()).unwrap_or_default())
            }
            ["issues"] => self.list(request, "issues", 0, |_| Value::Null, Value::Array),
            ["milestones"] => self.list(request, "milestones", 0, |_| Value::Null, Value::Array),
            _ => ResponseTemplate::new(404),
        }
    }
}

/// Requests and seconds one resource took.
struct ResourceCost {
    kind: String,
    requests: u64,
    seconds: f64,
}

async fn run_sync(
    store: &mut Store,
    source: &SourceConfig,
    label: &str,
) -> Result<(SourceSummary, f64, Vec<ResourceCost>), Box<dyn std::error::Error>> {
    let client = HttpClient::new(
        source,
        Some(Secret::new("ghp_bench")),
        HttpPolicy::for_source(source),
    )?;
    let mut ownership = Ownership::default();
    ownership.repo_service.insert(REPO.into(), "octo".into());
    let privacy = Privacy::with_key(vec![3; 32], &PrivacyConfig::default());
    let options = SyncOptions {
        full: false,
        since: None,
        now: Utc::now(),
    };
    let cancel = CancelFlag::default();
    let env = SyncEnv {
        ownership: &ownership,
        privacy: &privacy,
        options: &options,
        cancel: &cancel,
    };
    let started = Instant::now();
    let mut costs = Vec::new();
    let (mut mark, mut counted) = (started, 0);
    let mut on_event = |e: &SyncEvent<'_>| {
        if let SyncEvent::ResourceDone { resource, .. } = e {
            let (now, requests) = (Instant::now(), client.stats().requests);
            costs.push(ResourceCost {
                kind: resource.rsplit(':').next().unwrap_or_default().to_string(),
                requests: requests - counted,
                seconds: (now - mark).as_secs_f64(),
            });
            (mark, counted) = (now, requests);
        }
    };
    let summary = sync_source(store, source, &client, env, &mut on_event).await;
    let seconds = started.elapsed().as_secs_f64();
    if summary.failed() {
        return Err(format!("{label} failed: {:?}", summary.resources).into());
    }
    Ok((summary, seconds, costs))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale: f64 = env_or("PLUMB_BENCH_SCALE", 1.0);
    let concurrency: u32 = env_or("PLUMB_BENCH_CONCURRENCY", 16);
    let latency = Duration::from_millis(env_or("PLUMB_BENCH_LATENCY_MS", 50));
    let scaled = |n: f64| ((n * scale).round() as usize).max(1);
    let shape = Shape {
        pulls: scaled(10_000.0),
        deployments: scaled(5_000.0),
        runs: scaled(20_000.0),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(method("GET"))
            .respond_with(FakeGitHub::new(server.uri(), shape, latency))
            .mount(&server)
            .await;
        let mut source = SourceConfig::new("bench", SourceKind::Github);
        source.base_url = Some(server.uri());
        source.repos = vec![REPO.into()];
        source.concurrency = concurrency;
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(&dir.path().join("plumb.db"))?;

        println!(
            "GitHub sync: {} PRs ({} merged), {} deployments, {} runs ({} re-run); \
             latency {} ms, concurrency {concurrency}",
            shape.pulls,
            shape.merged_count(),
            shape.deployments,
            shape.runs,
            shape.rerun_count(),
            latency.as_millis()
        );
        let (cold, seconds, costs) = run_sync(&mut store, &source, "cold sync").await?;
        let minimum = shape.minimum();
        let fewest: usize = minimum.iter().map(|(_, n)| n).sum();
        let requests = cold.http.requests;
        let ideal_of =
            |requests: u64| requests as f64 * latency.as_secs_f64() / f64::from(concurrency);
        let ideal = ideal_of(requests);
        println!(
            "cold sync, per resource: pages, items, rows written, requests (fewest), seconds \
             (ideal)"
        );
        for (r, cost) in cold.resources.iter().zip(&costs) {
            let fewest = minimum
                .iter()
                .find(|(k, _)| *k == cost.kind)
                .map_or(0, |(_, n)| *n);
            println!(
                "  {:<20} {:>5} pages {:>6} items {:>6} rows {:>6} requests ({fewest:>6}) \
                 {:>6.2} s ({:>6.2} s)",
                cost.kind,
                r.pages,
                r.items,
                r.written,
                cost.requests,
                cost.seconds,
                ideal_of(cost.requests)
            );
        }
        println!(
            "cold sync: {requests} requests (fewest {fewest}, {:+.2} %), {:.1} MB, {} rows in \
             {seconds:.2} s = {:.0} rows/s; ideal {ideal:.2} s (requests x latency / \
             concurrency), ratio {:.2}",
            (requests as f64 / fewest as f64 - 1.0) * 100.0,
            cold.http.bytes as f64 / 1e6,
            cold.written(),
            cold.written() as f64 / seconds,
            seconds / ideal
        );
        let (warm, seconds, _) = run_sync(&mut store, &source, "incremental sync").await?;
        println!(
            "incremental sync, nothing new: {} requests ({} answered 304), {} bytes, {} rows \
             written in {seconds:.2} s",
            warm.http.requests,
            warm.http.not_modified,
            warm.http.bytes,
            warm.written()
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
