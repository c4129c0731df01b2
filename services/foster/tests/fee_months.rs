//! Fee months through the real cluster: a month without county rates waits (the county bureau
//! is told once) without holding up the later months, and is assessed as of its end once rates
//! exist; ListFees takes a month only as `YYYY-MM`.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Utc};
use kit::*;
use relief_proto::common::v1::Money;
use relief_proto::foster::v1 as pb;
use relief_runtime::Caller;
use relief_testkit::wait_until;
use tonic::Code;

fn money(fen: i64) -> Option<Money> {
    Some(Money { fen })
}

fn ts(instant: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(relief_runtime::time::timestamp(instant))
}

async fn list_fees(
    kit: &Kit,
    who: &Caller,
    request: pb::ListFeesRequest,
) -> Result<pb::ListFeesResponse, tonic::Status> {
    kit.foster(who)
        .await
        .list_fees(request)
        .await
        .map(|response| response.into_inner())
}

/// The (month, days in care, days in month, total fen, assessed at) of the fees `who` lists.
async fn fees(kit: &Kit, who: &Caller) -> Vec<(String, i32, i32, i64, DateTime<Utc>)> {
    let mut fees: Vec<_> = list_fees(kit, who, Default::default())
        .await
        .unwrap()
        .fees
        .into_iter()
        .map(|fee| {
            let at = fee.assessed_at.unwrap();
            (
                fee.month,
                fee.days_in_care,
                fee.days_in_month,
                fee.total.unwrap().fen,
                DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).unwrap()).unwrap(),
            )
        })
        .collect();
    fees.sort();
    fees
}

cluster_tests!(
    a_month_without_rates_waits_without_holding_up_the_next_months,
    start = kit::at("2025-12-20T10:00:00+08:00"),
    |kit| {
        // The shipped rates of 兴隆台区 start on 2026-01-01: December 2025 has none.
        let station = xlt_station();
        let county = xlt_civil_affairs();
        let home = kit
            .institution(
                "兴隆台区社会福利院",
                pb::InstitutionKind::ElderlyCare,
                true,
                50,
                false,
            )
            .await;
        kit.sign(&station, &home, ("2025-12-01", "2026-12-31"), 20, 0)
            .await
            .unwrap();
        let case_id = kit.admit(&station, adult(), kit.cluster.clock.now()).await;
        let proposed = kit
            .propose(&station, &case_id, pb::SelfCare::Full)
            .await
            .unwrap();
        let placed = kit
            .approve(&county, &proposed.placement_id, &home, "")
            .await
            .unwrap();
        assert_eq!(placed.status, pb::PlacementStatus::Active as i32);

        // December's end: nothing can be assessed; the county bureau is told once.
        kit.set_clock(instant_at("2026-01-01T00:00:00+08:00"));
        wait_until("the county was told", || async {
            kit.notifications(&county, "FEE_RATES_MISSING").await.len() == 1
        })
        .await;
        let told = kit.notifications(&county, "FEE_RATES_MISSING").await;
        assert!(told[0].summary.contains("2025-12"), "{}", told[0].summary);
        // The hourly retry finds no rates either: not told again, nothing assessed.
        kit.set_clock(instant_at("2026-01-01T01:00:00+08:00"));
        kit.set_clock(instant_at("2026-01-01T02:00:00+08:00"));
        kit.set_clock(instant_at("2026-01-15T12:00:00+08:00"));
        assert!(kit.events::<pb::FeeAssessed>().await.is_empty());
        assert!(fees(&kit, &county).await.is_empty());

        // January's end: January is assessed at the file's rates (a whole month: exactly the
        // monthly amounts, no margin) although December still waits; still told once.
        let january_end = instant_at("2026-02-01T00:00:00+08:00");
        kit.set_clock(january_end);
        let assessed = kit.wait_events::<pb::FeeAssessed>(1).await;
        assert_eq!(
            (assessed[0].month.as_str(), assessed[0].days_in_care),
            ("2026-01", 31)
        );
        assert_eq!(assessed[0].total, money(115_000 + 23_000));
        assert_eq!(assessed[0].assessed_at, ts(january_end));
        assert_eq!(
            fees(&kit, &county).await,
            [("2026-01".to_owned(), 31, 31, 138_000, january_end)]
        );
        assert_eq!(
            kit.notifications(&county, "FEE_RATES_MISSING").await.len(),
            1
        );

        // The county stores rates from December 1: the next retry assesses December, 20–31
        // (12 of 31 days), as of December's end.
        kit.foster(&county)
            .await
            .set_county_rates(pb::SetCountyRatesRequest {
                request_id: request_id(),
                rates: Some(pb::CountyRates {
                    division: "211103".to_owned(),
                    effective_on: "2025-12-01".to_owned(),
                    basic_living: money(93_000),
                    care_full: money(18_600),
                    care_partial: money(55_800),
                    care_none: money(111_600),
                    special_bed: money(46_500),
                    special_rehabilitation: money(31_000),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        kit.set_clock(instant_at("2026-02-01T03:00:00+08:00"));
        let assessed = kit.wait_events::<pb::FeeAssessed>(2).await;
        let december_end = instant_at("2026-01-01T00:00:00+08:00");
        // 93000 × 12 ÷ 31 = 36000; 18600 × 12 ÷ 31 = 7200.
        assert_eq!(
            fees(&kit, &county).await,
            [
                ("2025-12".to_owned(), 12, 31, 36_000 + 7_200, december_end),
                ("2026-01".to_owned(), 31, 31, 138_000, january_end),
            ]
        );
        assert_eq!(assessed.len(), 2);
        assert_eq!(
            kit.notifications(&county, "FEE_RATES_MISSING").await.len(),
            1
        );

        // February goes on as usual.
        kit.set_clock(instant_at("2026-03-01T00:00:00+08:00"));
        let assessed = kit.wait_events::<pb::FeeAssessed>(3).await;
        assert_eq!(
            (assessed[2].month.as_str(), assessed[2].days_in_care),
            ("2026-02", 28)
        );
        assert_eq!(assessed[2].total, money(138_000));

        // A month is exactly YYYY-MM in ListFees.
        for bad in ["2026-+1", "+026-01", "2026-1", "2026-13"] {
            let refused = list_fees(
                &kit,
                &county,
                pb::ListFeesRequest {
                    month: bad.to_owned(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
            assert_eq!(refused.code(), Code::InvalidArgument, "{bad}");
            assert_eq!(fields(&refused), ["month"], "{bad}");
        }
        let january = list_fees(
            &kit,
            &county,
            pb::ListFeesRequest {
                month: "2026-01".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(january.fees.len(), 1);
        kit.stop().await;
    }
);
