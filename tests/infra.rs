//! `infra/` agrees with the function table: every route of `infra/openapi.yaml` is a route of the
//! API and is integrated with the function that serves it; every function is in the SAM template
//! with its code, triggers and permissions; every `functions/` crate is in the table.

use kezek_lambda::{Function, Trigger};
use serde_yaml_ng::Value;
use std::collections::BTreeSet;

fn root() -> std::path::PathBuf {
    std::path::Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .join("..")
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

#[test]
fn every_route_of_the_openapi_definition_has_its_function() {
    let doc = yaml("infra/openapi.yaml");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        let path = path.as_str().unwrap();
        for (method, op) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if !["get", "put", "post", "delete", "patch"].contains(&method) {
                continue;
            }
            let route = format!("{} {path}", method.to_uppercase());
            // Paths outside /v1 are the portal's pages.
            if !path.starts_with("/v1") {
                let target = &op["x-amazon-apigateway-integration"]["uri"]["Fn::GetAtt"];
                assert_eq!(
                    target[0].as_str(),
                    Some(Function::Web.logical_id()),
                    "{route}"
                );
                continue;
            }
            let function = Function::of_route(&route)
                .unwrap_or_else(|| panic!("{route}: no function serves it"));
            let integration = &op["x-amazon-apigateway-integration"];
            assert_eq!(integration["type"].as_str(), Some("aws_proxy"), "{route}");
            assert_eq!(
                integration["payloadFormatVersion"].as_str(),
                Some("2.0"),
                "{route}"
            );
            let target = &integration["uri"]["Fn::GetAtt"];
            assert_eq!(
                target[0].as_str(),
                Some(function.logical_id()),
                "{route} is integrated with its function"
            );
            assert!(
                op["responses"].as_mapping().is_some_and(|r| !r.is_empty()),
                "{route}"
            );
            routes.insert(route);
        }
    }
    let served: BTreeSet<String> = kezek_http::ROUTES.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        routes, served,
        "openapi.yaml lists exactly the routes the API serves"
    );
    for f in Function::ALL {
        for r in f.routes() {
            assert!(
                served.contains(*r),
                "{}: {r} is a route of the API",
                f.name()
            );
        }
    }
}

#[test]
fn every_function_is_in_the_template_with_its_triggers() {
    let template = yaml("infra/template.yaml");
    let resources = template["Resources"].as_mapping().unwrap();
    let mut in_template = BTreeSet::new();
    for (id, r) in resources {
        if r["Type"].as_str() == Some("AWS::Serverless::Function") {
            in_template.insert(id.as_str().unwrap().to_owned());
        }
    }
    let table: BTreeSet<String> = Function::ALL
        .iter()
        .map(|f| f.logical_id().to_owned())
        .collect();
    assert_eq!(
        in_template, table,
        "the template's functions are the table's"
    );

    let mut crates = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        crates.insert(entry.unwrap().file_name().to_string_lossy().into_owned());
    }
    let names: BTreeSet<String> = Function::ALL.iter().map(|f| f.name().to_owned()).collect();
    assert_eq!(
        crates, names,
        "functions/ holds one crate per function of the table"
    );

    for f in Function::ALL {
        let r = &template["Resources"][f.logical_id()];
        let p = &r["Properties"];
        assert_eq!(
            r["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda")
        );
        assert_eq!(
            p["CodeUri"].as_str(),
            Some(format!("../functions/{}", f.name()).as_str())
        );
        let events = p["Events"].as_mapping();
        let event_types: Vec<&str> = events
            .map(|m| m.values().filter_map(|e| e["Type"].as_str()).collect())
            .unwrap_or_default();
        match f.trigger() {
            Trigger::Api | Trigger::Authorizer => {
                assert!(event_types.is_empty(), "{}", f.name())
            }
            Trigger::Schedule => {
                assert!(!event_types.is_empty(), "{} is scheduled", f.name());
                for e in events.unwrap().values() {
                    // A sweep also takes its parts from its work queue, one at a time.
                    if f.sweeps() && e["Type"].as_str() == Some("SQS") {
                        let props = &e["Properties"];
                        assert_eq!(
                            props["FunctionResponseTypes"][0].as_str(),
                            Some("ReportBatchItemFailures")
                        );
                        assert_eq!(props["BatchSize"].as_u64(), Some(1));
                        // Every part of a sweep at once (8 shards, and the expiry sweep's 2
                        // chores), and no more; Lambda takes no value below 2.
                        let most = props["ScalingConfig"]["MaximumConcurrency"]
                            .as_u64()
                            .unwrap_or_default();
                        // The voucher runs' units: ten districts' runs at once.
                        let parts = match f {
                            Function::ExpirySweep | Function::IssueVoucher => 10,
                            _ => 8,
                        };
                        assert_eq!(most, parts, "{}: MaximumConcurrency", f.name());
                        let queue = props["Queue"]["Fn::GetAtt"][0]
                            .as_str()
                            .or_else(|| props["Queue"].as_str())
                            .unwrap_or_default()
                            .to_owned();
                        let env = serde_yaml_ng::to_string(
                            &p["Environment"]["Variables"]["SWEEP_QUEUE_URL"],
                        )
                        .unwrap();
                        let queue = queue.trim_end_matches(".Arn");
                        assert!(env.contains(queue), "{}: {env} names {queue}", f.name());
                        let q = &template["Resources"][queue]["Properties"];
                        assert!(q["RedrivePolicy"].as_mapping().is_some(), "{queue}");
                        assert!(
                            q["VisibilityTimeout"].as_u64().unwrap()
                                >= 6 * p["Timeout"].as_u64().unwrap(),
                            "{queue}"
                        );
                        let alarm = &template["Resources"]["SweepDeadLetterQueueAlarm"];
                        assert_eq!(
                            alarm["Type"].as_str(),
                            Some("AWS::CloudWatch::Alarm"),
                            "the sweep parts' dead-letter queue is alarmed"
                        );
                        continue;
                    }
                    assert_eq!(e["Type"].as_str(), Some("ScheduleV2"));
                    let props = &e["Properties"];
                    assert_eq!(
                        props["ScheduleExpressionTimezone"].as_str(),
                        Some("Asia/Almaty")
                    );
                    let input: serde_json::Value =
                        serde_json::from_str(props["Input"].as_str().unwrap()).unwrap();
                    assert_eq!(input["time"], "<aws.scheduler.scheduled-time>");
                    assert!(props["DeadLetterConfig"].as_mapping().is_some());
                }
            }
            Trigger::Stream => {
                assert_eq!(event_types, ["DynamoDB"]);
                let e = events.unwrap().values().next().unwrap();
                let props = &e["Properties"];
                let types = &props["FunctionResponseTypes"];
                assert_eq!(types[0].as_str(), Some("ReportBatchItemFailures"));
                assert!(props["DestinationConfig"]["OnFailure"]
                    .as_mapping()
                    .is_some());
                let filter = props["FilterCriteria"]["Filters"][0]["Pattern"]
                    .as_str()
                    .unwrap();
                assert!(
                    filter.contains("INSERT"),
                    "only new outbox entries: {filter}"
                );
            }
            Trigger::Queue => {
                assert_eq!(event_types, ["SQS"]);
                let e = events.unwrap().values().next().unwrap();
                let types = &e["Properties"]["FunctionResponseTypes"];
                assert_eq!(types[0].as_str(), Some("ReportBatchItemFailures"));
            }
        }
        let base = f.logical_id().trim_end_matches("Function");
        let permission = &template["Resources"][format!("{base}ApiPermission").as_str()];
        assert_eq!(
            permission["Type"].as_str().is_some(),
            f.serves_http() || f == Function::Authorizer,
            "{}: API Gateway may invoke exactly the functions with routes or pages, and the authorizer",
            f.name()
        );
        for alarm in ["ErrorsAlarm", "ThrottlesAlarm"] {
            let a = &template["Resources"][format!("{base}{alarm}").as_str()];
            assert_eq!(
                a["Type"].as_str(),
                Some("AWS::CloudWatch::Alarm"),
                "{base}{alarm}"
            );
        }
        // Least privilege: the read function and the relay do not write the table; only the
        // notifier sends; only the relay, the expiry sweep (to the notifier's queue) and the
        // sweeps (to their work queues) send to a queue.
        let policy = serde_yaml_ng::to_string(&p["Policies"]).unwrap();
        assert_eq!(
            policy.contains("dynamodb:PutItem"),
            !matches!(
                f,
                Function::ReadApi | Function::OutboxRelay | Function::Authorizer
            ),
            "{}",
            f.name()
        );
        assert_eq!(
            policy.contains("ses:SendEmail"),
            f == Function::Notifier,
            "{}",
            f.name()
        );
        assert_eq!(
            policy.contains("sqs:SendMessage"),
            matches!(f, Function::OutboxRelay) || f.sweeps(),
            "{}",
            f.name()
        );
        assert_eq!(
            policy.contains("s3:PutObject"),
            f.keeps_documents() || f.serves_pages() || f.publishes_open_data(),
            "{}: only the functions that issue or upload documents write the bucket (the portal's \
             form posts uploads under uploads/), and the open data's exporter",
            f.name()
        );
        if f.publishes_open_data() && !f.keeps_documents() {
            // The exporter writes under open-data/ only, and reads nothing of the bucket.
            assert!(
                policy.contains("${DocumentsBucket.Arn}/open-data/*"),
                "{policy}"
            );
            assert!(!policy.contains("${DocumentsBucket.Arn}/*"), "{policy}");
            assert!(!policy.contains("s3:GetObject"), "{policy}");
            let env = serde_yaml_ng::to_string(&p["Environment"]["Variables"]["DOCUMENTS_BUCKET"])
                .unwrap();
            assert!(env.contains("DocumentsBucket"), "{}: {env}", f.name());
            let events = p["Events"].as_mapping().unwrap();
            let daily = events
                .values()
                .find(|e| {
                    e["Properties"]["Input"]
                        .as_str()
                        .is_some_and(|i| i.contains(kezek_lambda::OPEN_DATA_JOB))
                })
                .unwrap_or_else(|| panic!("{}: the open data's schedule", f.name()));
            let props = &daily["Properties"];
            assert_eq!(
                props["ScheduleExpression"].as_str(),
                Some("cron(30 0 * * ? *)"),
                "daily at 00:30 Asia/Almaty"
            );
            let input: serde_json::Value =
                serde_json::from_str(props["Input"].as_str().unwrap()).unwrap();
            assert_eq!(input["detail"]["job"], kezek_lambda::OPEN_DATA_JOB);
            assert_eq!(
                props["RetryPolicy"]["MaximumRetryAttempts"].as_u64(),
                Some(3)
            );
        }
        assert!(!policy.contains("dynamodb:Scan"), "nothing scans the table");
        for line in policy.lines() {
            let item = line
                .trim()
                .trim_start_matches("- ")
                .trim_start_matches("Action: ");
            let is_action = ["dynamodb:", "ses:", "sns:", "sqs:"]
                .iter()
                .any(|p| item.starts_with(p));
            assert!(item != "'*'", "{}: no wildcard actions", f.name());
            assert!(!(is_action && item.ends_with('*')), "{}: {item}", f.name());
        }
    }
    let table = &template["Resources"]["Table"]["Properties"];
    assert_eq!(table["DeletionProtectionEnabled"].as_bool(), Some(true));
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        table["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true)
    );
    let arch = &template["Parameters"]["Architecture"];
    assert_eq!(arch["Default"].as_str(), Some("arm64"));
}

#[test]
fn the_documents_bucket_is_private_encrypted_versioned_and_expires() {
    let template = yaml("infra/template.yaml");
    let p = &template["Resources"]["DocumentsBucket"]["Properties"];
    let block = &p["PublicAccessBlockConfiguration"];
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[k].as_bool(), Some(true), "{k}");
    }
    assert!(
        p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
            .as_str()
            .is_some()
    );
    assert_eq!(
        p["VersioningConfiguration"]["Status"].as_str(),
        Some("Enabled")
    );
    let rules = p["LifecycleConfiguration"]["Rules"].as_sequence().unwrap();
    assert!(rules.len() >= 2, "lifecycle rules");
    let policy = serde_yaml_ng::to_string(&template["Resources"]["DocumentsBucketPolicy"]).unwrap();
    assert!(policy.contains("aws:SecureTransport"), "TLS only");
}

/// Lambda's event filtering for the patterns used here: an object matches key by key, an array
/// lists the accepted values (or `{"prefix": …}`).
fn filter_matches(pattern: &serde_json::Value, event: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match pattern {
        J::Object(m) => m
            .iter()
            .all(|(k, p)| event.get(k).is_some_and(|e| filter_matches(p, e))),
        J::Array(options) => options.iter().any(|o| match o.get("prefix") {
            Some(J::String(prefix)) => event.as_str().is_some_and(|s| s.starts_with(prefix)),
            _ => o == event,
        }),
        _ => false,
    }
}

fn stream_filter(template: &Value, f: Function) -> serde_json::Value {
    let events = &template["Resources"][f.logical_id()]["Properties"]["Events"];
    let e = events.as_mapping().unwrap().values().next().unwrap();
    let pattern = e["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"]
        .as_str()
        .unwrap();
    serde_json::from_str(pattern).unwrap()
}

#[test]
fn the_stream_filters_pass_outbox_entries_and_the_issuer_only_its_events() {
    let template = yaml("infra/template.yaml");
    let relay = stream_filter(&template, Function::OutboxRelay);
    let issuer = stream_filter(&template, Function::IssueDocuments);
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/issue-documents/stream.json")).unwrap(),
    )
    .unwrap();
    let record = sample["Records"][0].clone();
    let with_kind = |kind: &str| {
        let mut r = record.clone();
        r["dynamodb"]["NewImage"]["n"]["M"]["kind"]["S"] = kind.into();
        r
    };
    for kind in kezek_core::domain::NotificationKind::ALL {
        let r = with_kind(kind.as_str());
        assert!(filter_matches(&relay, &r), "the relay takes {kind:?}");
        assert_eq!(
            filter_matches(&issuer, &r),
            kezek_core::Service::issues_documents(kind),
            "the issuer takes exactly the events that issue documents: {kind:?}"
        );
    }
    let mut modify = record.clone();
    modify["eventName"] = "MODIFY".into();
    let mut other_item = record.clone();
    other_item["dynamodb"]["Keys"]["SK"]["S"] = "A".into();
    for r in [modify, other_item] {
        assert!(!filter_matches(&relay, &r) && !filter_matches(&issuer, &r));
    }
}

/// Issue 16: no function below 256 MB (Lambda's CPU share; a TLS handshake at init), and the
/// notifier's queue source bounded so a campaign day cannot outrun the e-mail and SMS quotas.
#[test]
fn functions_have_256_mb_and_the_notifier_is_bounded() {
    let template = yaml("infra/template.yaml");
    let globals = template["Globals"]["Function"]["MemorySize"].as_u64();
    for (id, r) in template["Resources"].as_mapping().unwrap() {
        if r["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let memory = r["Properties"]["MemorySize"].as_u64().or(globals).unwrap();
        assert!(memory >= 256, "{id:?}: {memory} MB");
    }
    let notifier = &template["Resources"][Function::Notifier.logical_id()];
    let events = notifier["Properties"]["Events"].as_mapping().unwrap();
    let sqs = events
        .values()
        .find(|e| e["Type"].as_str() == Some("SQS"))
        .expect("the notifier's queue source");
    let max = sqs["Properties"]["ScalingConfig"]["MaximumConcurrency"]
        .as_u64()
        .expect("MaximumConcurrency on the notifier's queue");
    assert!((2..=10).contains(&max), "{max}");
}

/// Issue 16: each secret is read only by the functions that use it, each function's environment
/// names just those, and every function that checks sessions has the public keys (no secret).
#[test]
fn each_secret_is_read_only_where_it_is_used() {
    let template = yaml("infra/template.yaml");
    let mut readers = std::collections::BTreeMap::<&str, Vec<&str>>::new();
    for f in Function::ALL {
        let p = &template["Resources"][f.logical_id()]["Properties"];
        let policies = serde_yaml_ng::to_string(&p["Policies"]).unwrap();
        let vars: BTreeSet<String> = p["Environment"]["Variables"]
            .as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let has = |v: &str| vars.contains(v);
        for (secret, var, wanted) in [
            (
                "SessionSigningKey",
                "SESSION_SIGNING_SECRET_ID",
                f.signs_sessions(),
            ),
            ("CodeKey", "CODE_KEY_SECRET_ID", f.checks_codes()),
            (
                "RegistersTokenSecret",
                "REGISTERS_SECRET_ID",
                f.asks_registers(),
            ),
        ] {
            assert_eq!(policies.contains(secret), wanted, "{}: {secret}", f.name());
            assert_eq!(has(var), wanted, "{}: {var}", f.name());
            if wanted {
                readers.entry(secret).or_default().push(f.name());
            }
        }
        assert_eq!(
            has("SESSION_PUBLIC_KEYS"),
            f.needs_sessions(),
            "{}",
            f.name()
        );
        // The functions that check EDS (login, signed actions) have the roots and the revocation
        // sources.
        for var in ["NCA_ROOTS_PEM", "EDS_OCSP_URL", "EDS_CRL_URL"] {
            assert_eq!(has(var), f.checks_codes(), "{}: {var}", f.name());
        }
        assert!(!has("SESSION_SECRET_ID"), "{}", f.name());
    }
    assert_eq!(readers["SessionSigningKey"], ["auth", "web"]);
    let no_secret = Function::ALL
        .into_iter()
        .filter(|f| !f.signs_sessions() && !f.checks_codes() && !f.asks_registers())
        .count();
    assert!(
        no_secret > Function::ALL.len() / 2,
        "most functions read no secret"
    );
}

/// Issue 18: the operators' pages sit behind the same authorizer function as the operator API
/// routes (the page rule of it: the session cookie, no cache), integrated with the web function;
/// the parents' pages are not behind it.
#[test]
fn the_desk_pages_are_behind_the_operators_authorizer() {
    let doc = yaml("infra/openapi.yaml");
    let schemes = &doc["components"]["securitySchemes"];
    let function_of = |scheme: &str| {
        schemes[scheme]["x-amazon-apigateway-authorizer"]["authorizerUri"]["Fn::Sub"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(function_of("operatorSession").contains("${AuthorizerFunction.Arn}"));
    assert_eq!(function_of("operatorPages"), function_of("operatorSession"));
    assert_eq!(
        schemes["operatorPages"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"]
            .as_i64(),
        Some(0),
        "a cookie cannot key a cache"
    );
    for path in ["/admin", "/admin/{proxy+}"] {
        let op = &doc["paths"][path]["x-amazon-apigateway-any-method"];
        assert_eq!(
            op["security"][0].as_mapping().map(|m| m.keys().count()),
            Some(1),
            "{path}"
        );
        assert!(op["security"][0]["operatorPages"].is_sequence(), "{path}");
        assert_eq!(
            op["x-amazon-apigateway-integration"]["uri"]["Fn::GetAtt"][0].as_str(),
            Some(Function::Web.logical_id()),
            "{path}"
        );
    }
    let portal = &doc["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"];
    assert_eq!(portal["security"].as_sequence().map(Vec::len), Some(0));
}

#[test]
fn every_public_route_has_its_own_lower_throttling() {
    let template = yaml("infra/template.yaml");
    let api = &template["Resources"]["HttpApi"]["Properties"];
    let default_rate = api["DefaultRouteSettings"]["ThrottlingRateLimit"]
        .as_f64()
        .unwrap();
    for route in kezek_http::ROUTES
        .iter()
        .filter(|r| r.starts_with("GET /v1/public/"))
    {
        let s = &api["RouteSettings"][*route];
        let rate = s["ThrottlingRateLimit"]
            .as_f64()
            .unwrap_or_else(|| panic!("{route}: its own RouteSettings"));
        assert!(rate < default_rate, "{route}: {rate}");
        assert!(s["ThrottlingBurstLimit"].as_u64().is_some(), "{route}");
    }
}
