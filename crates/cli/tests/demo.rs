//! `relief demo` against `relief dev --dev-clock` started in this process, as a user would run
//! the two: a temporary data directory (SQLite files, the dev PKI `relief dev` creates), the four
//! services on consecutive loopback ports over mTLS, the dev clock starting on 2026-03-20. The
//! demo drives six days (the run-up of April 2026: 03-25 to 03-30) with a fixed seed; what it
//! drove is then read back through the services' APIs, as the city civil-affairs bureau and the
//! other units see it, and the end of the demo (reporting caught up, the dashboard, the month's
//! XLSX) is checked against them. A demo without a running cluster says how to start one.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use relief_cli::commands::demo::{self, DemoOptions};
use relief_cli::commands::dev::{self, DevOptions};
use relief_proto::admin::v1 as admin;
use relief_proto::admin::v1::clock_service_client::ClockServiceClient;
use relief_proto::foster::v1 as foster;
use relief_proto::foster::v1::foster_supervision_service_client::FosterSupervisionServiceClient;
use relief_proto::identity::v1 as identity;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::reporting::v1 as reporting;
use relief_runtime::client;
use relief_runtime::pki::DevPki;
use relief_runtime::time::instant;
use relief_runtime::tls::TlsMaterial;
use relief_testkit::wait_until;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The services in port order.
const SERVICES: [&str; 4] = ["intake", "identity", "foster", "reporting"];

/// A `relief dev --dev-clock START` running in this process.
struct Dev {
    task: JoinHandle<anyhow::Result<()>>,
    data_dir: std::path::PathBuf,
    base_port: u16,
}

impl Dev {
    /// Starts `relief dev` on four free consecutive ports with its data in `data_dir` and the
    /// dev clock at `start`; waits until every service answers SERVING.
    async fn start(data_dir: &Path, start: &str) -> Dev {
        let first = 20_000 + u16::try_from(std::process::id() % 2_000).unwrap_or(0) * 4;
        for base_port in (0..20).map(|attempt| first + attempt * 97) {
            if !free(base_port) {
                continue;
            }
            let task = tokio::spawn(dev::run(DevOptions {
                data_dir: data_dir.to_path_buf(),
                base_port,
                units_file: None,
                holidays_file: None,
                insecure: false,
                log_filter: "warn".to_owned(),
                dev_clock: Some(start.to_owned()),
            }));
            let dev = Dev {
                task,
                data_dir: data_dir.to_path_buf(),
                base_port,
            };
            if dev.serving().await {
                return dev;
            }
            // Another process took a port meanwhile: try other ones.
            dev.task.abort();
        }
        panic!("no four free consecutive ports for relief dev");
    }

    /// Waits (60 s ceiling) until every service is SERVING; false if `relief dev` stopped.
    async fn serving(&self) -> bool {
        let deadline = tokio::time::Instant::now() + relief_testkit::wait::CEILING;
        while tokio::time::Instant::now() < deadline {
            if self.task.is_finished() {
                return false;
            }
            let mut all = true;
            for service in SERVICES {
                all &= self.health(service).await;
            }
            if all {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("relief dev did not start serving within the ceiling");
    }

    async fn health(&self, service: &'static str) -> bool {
        if !self
            .data_dir
            .join("pki/units/city-civil-affairs.pem")
            .is_file()
        {
            return false;
        }
        let Ok(channel) = self.try_channel(service, "city-civil-affairs").await else {
            return false;
        };
        HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
            .is_ok_and(|response| response.into_inner().status() == ServingStatus::Serving)
    }

    async fn try_channel(&self, service: &'static str, unit: &str) -> anyhow::Result<Channel> {
        let pki = DevPki::at(self.data_dir.join("pki"));
        let (cert, key) = pki.unit_files(unit);
        let material = TlsMaterial::from_files(&pki.ca_cert(), &cert, &key)?;
        let index = SERVICES
            .iter()
            .position(|name| *name == service)
            .and_then(|index| u16::try_from(index).ok())
            .unwrap_or(0);
        let url = format!("https://127.0.0.1:{}", self.base_port + index);
        Ok(client::connect(&url, Some((&material, service))).await?)
    }

    /// A channel to `service` with the certificate of `unit` from the dev PKI.
    async fn channel(&self, service: &'static str, unit: &str) -> Channel {
        self.try_channel(service, unit)
            .await
            .expect("a channel with the unit's dev certificate")
    }

    async fn intake(&self, unit: &str) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.channel("intake", unit).await)
    }

    async fn identity(&self, unit: &str) -> IdentityQueryServiceClient<Channel> {
        IdentityQueryServiceClient::new(self.channel("identity", unit).await)
    }

    async fn foster(&self, unit: &str) -> FosterSupervisionServiceClient<Channel> {
        FosterSupervisionServiceClient::new(self.channel("foster", unit).await)
    }

    fn options(&self, days: u32) -> DemoOptions {
        DemoOptions {
            data_dir: self.data_dir.clone(),
            base_port: self.base_port,
            insecure: false,
            out: None,
            seed: Some(7),
            days: Some(days),
            progress: false,
        }
    }
}

/// Whether four consecutive ports from `base` can be bound on loopback now.
fn free(base: u16) -> bool {
    (0..4)
        .all(|offset| TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], base + offset))).is_ok())
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 instant")
        .with_timezone(&Utc)
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// Every case of the city, as the city bureau lists them.
async fn all_cases(dev: &Dev) -> Vec<intake::Case> {
    dev.intake("city-civil-affairs")
        .await
        .list_cases(intake::ListCasesRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("the city bureau lists the cases")
        .into_inner()
        .cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_demo_drives_every_kind_of_caller_through_the_services() {
    let dir = tempfile::tempdir().expect("a temporary data directory");
    let dev = Dev::start(dir.path(), "2026-03-20T08:00:00+08:00").await;

    let driven = demo::drive(&dev.options(6))
        .await
        .expect("the demo drives six days");

    // April 2026 is reported on; its run-up starts on 03-25; six days are driven.
    assert_eq!(driven.calendar.month, date("2026-04-01"));
    assert_eq!(driven.calendar.start, date("2026-03-25"));
    assert_eq!(driven.calendar.days, 6);
    let mut clock = ClockServiceClient::new(dev.channel("intake", "city-civil-affairs").await);
    let now = clock
        .get_time(admin::GetTimeRequest {})
        .await
        .expect("the dev clock answers")
        .into_inner()
        .now;
    let now = instant("now", now.as_ref()).expect("a time");
    assert!(
        now >= at("2026-03-31T00:30:00+08:00"),
        "the clock moved day by day to the night after the sixth day: {now}"
    );

    // The street: sightings, encounters, a refusal, someone taken to hospital, handovers.
    let tally = &driven.tally;
    assert!(tally.sightings >= 5 && tally.encounters >= 5, "{tally:?}");
    assert!(tally.refusals >= 1 && tally.hospital >= 1 && tally.handovers >= 2);

    // Every admission is a case the city bureau sees, of every referral, with unknown
    // identities, minors, the elderly and the disabled among them.
    let cases = all_cases(&dev).await;
    assert_eq!(tally.admissions as usize, driven.case_ids.len());
    for case_id in &driven.case_ids {
        assert!(
            cases.iter().any(|case| &case.case_id == case_id),
            "case {case_id} is not listed"
        );
    }
    for referral in [
        intake::Referral::WalkIn,
        intake::Referral::Handover,
        intake::Referral::Hospital,
    ] {
        assert!(
            cases.iter().any(|case| case.referral == referral as i32),
            "no {referral:?} admission"
        );
    }
    let flagged = |flag: fn(&intake::VulnerableFlags) -> bool| {
        cases
            .iter()
            .filter(|case| case.flags.as_ref().is_some_and(flag))
            .count()
    };
    assert!(flagged(|flags| flags.minor) >= 1);
    assert!(flagged(|flags| flags.elderly) >= 1);
    assert!(flagged(|flags| flags.disabled) >= 1);
    // Some came unable to say who they are (the police then compare DNA).
    assert!(tally.admitted_unknown >= 2, "{tally:?}");

    // The verification requests the stations filed, the police answered: every result the
    // police submitted answered its request.
    let requests = dev
        .identity("city-civil-affairs")
        .await
        .list_verification_requests(identity::ListVerificationRequestsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("the city bureau lists the verification requests")
        .into_inner()
        .verifications;
    assert_eq!(requests.len(), tally.requests as usize);
    let answered = requests
        .iter()
        .filter(|request| request.status == identity::VerificationStatus::Answered as i32)
        .count();
    assert_eq!(answered, tally.results as usize);
    assert!(
        tally.results >= 3 && tally.police_identified >= 2,
        "{tally:?}"
    );
    let dna = requests
        .iter()
        .filter(|request| request.methods == [identity::VerificationMethod::Dna as i32])
        .collect::<Vec<_>>();
    assert!(!dna.is_empty());
    assert!(
        dna.iter()
            .all(|request| request.police_unit == "city-police-forensics"),
        "DNA requests go to the forensics laboratory"
    );

    // People identified by the police went home: intake learns the identities and closes their
    // cases; a return home to 双台子区 (the girl of the cast) has a follow-up there.
    assert!(tally.returns_home >= 3, "{tally:?}");
    wait_until("intake closes the cases of the people who left", || async {
        let closed = all_cases(&dev)
            .await
            .into_iter()
            .filter(|case| case.status == intake::CaseStatus::Closed as i32)
            .count();
        closed >= (tally.returns_home + tally.self_departures + tally.missing) as usize
    })
    .await;
    let follow_ups = dev
        .intake("sz-civil-affairs")
        .await
        .list_follow_ups(intake::ListFollowUpsRequest::default())
        .await
        .expect("the 双台子区 bureau lists its follow-ups")
        .into_inner()
        .follow_ups;
    assert!(
        follow_ups
            .iter()
            .any(|follow_up| follow_up.division == "211102")
    );

    // Foster care: proposed, approved, visited by the station, an incident reported by the
    // institution; the resident is in foster care at intake.
    assert!(
        tally.placed >= 1 && !driven.placement_ids.is_empty(),
        "{tally:?}"
    );
    let placement_id = driven.placement_ids[0].clone();
    let mut bureau = dev.foster("city-civil-affairs").await;
    let placement = bureau
        .get_placement(foster::GetPlacementRequest {
            placement_id: placement_id.clone(),
        })
        .await
        .expect("the city bureau reads the placement")
        .into_inner()
        .placement
        .expect("a placement");
    assert_eq!(placement.status, foster::PlacementStatus::Active as i32);
    let visits = bureau
        .list_visits(foster::ListVisitsRequest {
            placement_id: placement_id.clone(),
            ..Default::default()
        })
        .await
        .expect("the city bureau lists the visits")
        .into_inner()
        .visits;
    assert!(!visits.is_empty(), "the station visited its resident");
    let incidents = bureau
        .list_foster_incidents(foster::ListFosterIncidentsRequest {
            placement_id: placement_id.clone(),
            ..Default::default()
        })
        .await
        .expect("the city bureau lists the incidents")
        .into_inner()
        .incidents;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].reported_by, placement.institution_id);
    assert_eq!(
        tally.incidents, 2,
        "the institution's injury and a person gone missing"
    );
    wait_until("intake shows the resident in foster care", || async {
        all_cases(&dev).await.iter().any(|case| {
            case.case_id == placement.case_id
                && case.status == intake::CaseStatus::InFosterCare as i32
                && case.placement_id == placement_id
        })
    })
    .await;

    // The desks acknowledged what they were told (the incidents, at least).
    assert!(tally.notifications_acknowledged >= 4, "{tally:?}");
    // Every service cost was recorded on a case.
    assert!(tally.services >= tally.admissions && tally.service_fen > 0);

    // The end: reporting catches up; its dashboard shows the city as the services hold it;
    // the month's statistics are written as an XLSX workbook.
    let out = dir.path().join("报表_2026-04.xlsx");
    let finished = demo::finish(
        &DemoOptions {
            out: Some(out.clone()),
            ..dev.options(6)
        },
        &driven,
    )
    .await
    .expect("reporting catches up, shows the dashboard and exports the month");
    assert_eq!(finished.written, out);
    let workbook = std::fs::read(&out).expect("the workbook was written");
    assert!(workbook.starts_with(b"PK"), "an XLSX file is a zip archive");
    let city = finished
        .dashboard
        .rows
        .iter()
        .find(|row| {
            row.area
                .as_ref()
                .is_some_and(|area| area.kind == reporting::AreaKind::City as i32)
        })
        .expect("the dashboard has a row for the whole city");
    let shown = (city.in_station as usize, city.in_foster_care as usize);
    wait_until(
        "the dashboard counts the people in stations and in foster care as intake holds them",
        || async {
            let cases = all_cases(&dev).await;
            let count = |status: intake::CaseStatus| {
                cases
                    .iter()
                    .filter(|case| case.status == status as i32)
                    .count()
            };
            shown
                == (
                    count(intake::CaseStatus::InStation),
                    count(intake::CaseStatus::InFosterCare),
                )
        },
    )
    .await;
    assert!(city.in_foster_care >= 1 && city.in_station >= 1);
    dev.task.abort();
}

#[tokio::test]
async fn without_a_running_cluster_the_demo_says_to_start_relief_dev_with_a_dev_clock() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let error = demo::drive(&DemoOptions {
        data_dir: dir.path().to_path_buf(),
        base_port: port,
        insecure: true,
        out: None,
        seed: Some(1),
        days: Some(1),
        progress: false,
    })
    .await
    .expect_err("nothing to drive");
    let message = format!("{error:#}");
    assert!(
        message.contains("start `relief dev --dev-clock` first"),
        "{message}"
    );
}
