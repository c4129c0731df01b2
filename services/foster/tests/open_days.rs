//! The June 19 open day (开放日) through the real cluster: a station or an institution records
//! its own on June 19 local only, once; at 24:00 every station and institution without one has
//! missed it (OpenDayMissed and a notification to the unit and the city civil-affairs bureau,
//! once each), and ListOpenDays shows each caller its scope with held / missed.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;
use relief_proto::foster::v1 as pb;
use relief_runtime::{Caller, with_db};
use tonic::Code;

async fn record(kit: &kit::Kit, who: &Caller, year: i32) -> Result<pb::OpenDay, tonic::Status> {
    kit.foster(who)
        .await
        .record_open_day(pb::RecordOpenDayRequest {
            request_id: request_id(),
            year,
            visitors: 35,
            description: "开放生活区、医疗室，介绍救助流程".to_owned(),
        })
        .await
        .map(|r| r.into_inner().open_day.unwrap())
}

/// (unit, held, missed) of every open day `who` lists for `year`.
async fn listed(kit: &kit::Kit, who: &Caller, year: i32) -> Vec<(String, bool, bool)> {
    kit.foster(who)
        .await
        .list_open_days(pb::ListOpenDaysRequest { year })
        .await
        .unwrap()
        .into_inner()
        .open_days
        .into_iter()
        .map(|day| (day.unit, day.held, day.missed))
        .collect()
}

async fn count(kit: &kit::Kit, sql: &'static str) -> i64 {
    with_db!(&kit.db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await)
    .unwrap()
}

async fn open_day_deadlines(kit: &kit::Kit) -> Vec<String> {
    kit.texts(
        "SELECT id || ' ' || state FROM deadlines WHERE kind = $1 ORDER BY id",
        "foster.open_day",
    )
    .await
}

cluster_tests!(
    the_open_day_is_recorded_on_june_19_and_missed_after_it,
    start = kit::at("2026-06-18T10:00:00+08:00"),
    |kit| {
        // The yearly deadline exists from the start, once, across a restart.
        assert_eq!(
            open_day_deadlines(&kit).await,
            ["foster.open-day:2026 pending"]
        );
        kit.cluster.restart("foster").await;
        assert_eq!(
            open_day_deadlines(&kit).await,
            ["foster.open-day:2026 pending"]
        );
        let held = kit
            .institution(
                "兴隆台区社会福利院",
                pb::InstitutionKind::SocialWelfare,
                true,
                100,
                false,
            )
            .await;
        let silent = kit
            .institution(
                "兴隆台区颐养院",
                pb::InstitutionKind::ElderlyCare,
                false,
                60,
                false,
            )
            .await;

        // June 18: not yet; nothing stored.
        let error = record(&kit, &xlt_station(), 2026).await.unwrap_err();
        assert_eq!(error.code(), Code::FailedPrecondition);
        assert_eq!(reason(&error), "OPEN_DAY_NOT_YET");
        assert_eq!(count(&kit, "SELECT COUNT(*) FROM open_days").await, 0);

        // June 19: recorded once; another year is refused.
        kit.set_clock(instant_at("2026-06-19T00:00:00+08:00"));
        let recorded = record(&kit, &xlt_station(), 2026).await.unwrap();
        assert_eq!(
            (
                recorded.year,
                recorded.unit.as_str(),
                recorded.institution,
                recorded.division.as_str(),
                recorded.held,
                recorded.missed,
                recorded.visitors
            ),
            (2026, "xlt-station", false, "211103", true, false, 35)
        );
        let error = record(&kit, &xlt_station(), 2026).await.unwrap_err();
        assert_eq!(reason(&error), "OPEN_DAY_ALREADY_RECORDED");
        assert_eq!(
            reason(&record(&kit, &xlt_station(), 2027).await.unwrap_err()),
            "OPEN_DAY_NOT_YET"
        );
        assert_eq!(
            reason(&record(&kit, &xlt_station(), 2025).await.unwrap_err()),
            "OPEN_DAY_PASSED"
        );
        kit.set_clock(instant_at("2026-06-19T23:59:00+08:00"));
        let by_institution = record(&kit, &institution_caller(&held), 2026)
            .await
            .unwrap();
        assert!(by_institution.institution);
        let events = kit.events::<pb::OpenDayRecorded>().await;
        assert_eq!(
            events
                .iter()
                .map(|e| (e.unit.as_str(), e.institution, e.visitors))
                .collect::<Vec<_>>(),
            [("xlt-station", false, 35), (held.as_str(), true, 35)]
        );
        // Malformed.
        let error = kit
            .foster(&sz_station())
            .await
            .record_open_day(pb::RecordOpenDayRequest {
                request_id: request_id(),
                year: 0,
                visitors: -1,
                description: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["year", "visitors", "description"]);

        // Before 24:00 nobody has missed it yet.
        let city = listed(&kit, &city_civil_affairs(), 2026).await;
        assert_eq!(city.len(), 7, "{city:?}");
        assert!(city.iter().all(|(_, _, missed)| !missed));
        assert_eq!(
            city.iter()
                .filter(|(_, held, _)| *held)
                .map(|(unit, _, _)| unit.clone())
                .collect::<Vec<_>>(),
            {
                let mut units = vec![held.clone(), "xlt-station".to_owned()];
                units.sort();
                units
            }
        );

        // At 24:00 the others missed it: once each, the unit and the city bureau told.
        kit.set_clock(instant_at("2026-06-20T00:00:00+08:00"));
        let missed = kit.wait_events::<pb::OpenDayMissed>(5).await;
        let mut units: Vec<(&str, bool)> = missed
            .iter()
            .map(|e| (e.unit.as_str(), e.institution))
            .collect();
        units.sort();
        let mut expected = vec![
            ("city-station", false),
            ("dw-station", false),
            ("ps-station", false),
            ("sz-station", false),
            (silent.as_str(), true),
        ];
        expected.sort();
        assert_eq!(units, expected);
        assert!(missed.iter().all(|e| e.year == 2026
            && e.due_at
                == Some(relief_runtime::time::timestamp(instant_at(
                    "2026-06-20T00:00:00+08:00"
                )))));
        assert_eq!(
            open_day_deadlines(&kit).await,
            ["foster.open-day:2026 fired", "foster.open-day:2027 pending"]
        );
        for who in [sz_station(), city_station(), institution_caller(&silent)] {
            let mine = kit.notifications(&who, "OPEN_DAY_MISSED").await;
            assert_eq!(mine.len(), 1, "{who}");
        }
        for who in [
            xlt_station(),
            institution_caller(&held),
            xlt_civil_affairs(),
        ] {
            assert!(
                kit.notifications(&who, "OPEN_DAY_MISSED").await.is_empty(),
                "{who}"
            );
        }
        assert_eq!(
            kit.notifications(&city_civil_affairs(), "OPEN_DAY_MISSED")
                .await
                .len(),
            5
        );
        // Too late now.
        let error = record(&kit, &institution_caller(&silent), 2026)
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "OPEN_DAY_PASSED");

        // Each caller's scope.
        let mut xlt = vec![
            (held.clone(), true, false),
            (silent.clone(), false, true),
            ("xlt-station".to_owned(), true, false),
        ];
        xlt.sort();
        assert_eq!(listed(&kit, &xlt_civil_affairs(), 2026).await, xlt);
        assert_eq!(listed(&kit, &xlt_government(), 2026).await, xlt);
        assert_eq!(
            listed(&kit, &sz_civil_affairs(), 2026).await,
            [("sz-station".to_owned(), false, true)]
        );
        assert_eq!(
            listed(&kit, &sz_station(), 2026).await,
            [("sz-station".to_owned(), false, true)]
        );
        assert_eq!(
            listed(&kit, &institution_caller(&held), 2026).await,
            [(held.clone(), true, false)]
        );
        assert_eq!(listed(&kit, &city_government(), 2026).await.len(), 7);
        // Next year's is ahead: nobody has held or missed it.
        assert!(
            listed(&kit, &city_civil_affairs(), 2027)
                .await
                .iter()
                .all(|(_, held, missed)| !held && !missed)
        );

        // Later sweeps change nothing.
        kit.set_clock(instant_at("2026-07-01T00:00:00+08:00"));
        kit.cluster.restart("foster").await;
        assert_eq!(
            open_day_deadlines(&kit).await,
            ["foster.open-day:2026 fired", "foster.open-day:2027 pending"]
        );
        assert_eq!(kit.events::<pb::OpenDayMissed>().await.len(), 5);
        kit.stop().await;
    }
);
