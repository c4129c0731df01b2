//! Fees through the real cluster: at each month's end the fee of every resident is assessed from
//! the sending station's county rates (the rates file, then SetCountyRates versions) for the
//! resident's self-care level, plus bed and rehabilitation for special groups, plus the
//! agreement's margin; a mid-month rate change splits the month; a placement that ends is
//! assessed at once, prorated; a month without rates waits (the county is told once) and is
//! assessed when rates exist. SetCountyRates validation and scope; ListFees scope and paging.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Utc};
use kit::*;
use relief_proto::common::v1::Money;
use relief_proto::foster::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::{Caller, CallerKind, with_db};
use tonic::Code;

const FEE_DEADLINE: &str = "foster.fee";

fn fen(money: &Option<Money>) -> i64 {
    money.as_ref().unwrap().fen
}

fn money(fen: i64) -> Option<Money> {
    Some(Money { fen })
}

/// A person of a special group (mental disorder).
fn special() -> intake::VulnerableFlags {
    intake::VulnerableFlags {
        mental_disorder: true,
        ..Default::default()
    }
}

/// An institution of 兴隆台区 with an agreement of `station` for 2025-12-01..2026-12-31 at
/// `margin_bps`.
async fn institution_with_agreement(
    kit: &Kit,
    name: &str,
    station: &Caller,
    margin_bps: i32,
) -> String {
    let id = kit
        .institution(name, pb::InstitutionKind::ElderlyCare, true, 50, false)
        .await;
    kit.sign(station, &id, ("2025-12-01", "2026-12-31"), 20, margin_bps)
        .await
        .unwrap();
    id
}

/// Admits a person at `station` now, proposes and approves the placement into `institution_id`
/// (by the county bureau); the ACTIVE placement (intake's side is not awaited).
async fn place(
    kit: &Kit,
    station: &Caller,
    institution_id: &str,
    self_care: pb::SelfCare,
    flags: intake::VulnerableFlags,
) -> pb::Placement {
    let now = kit.cluster.clock.now();
    let case_id = kit.admit(station, flags, now).await;
    let proposed = kit.propose(station, &case_id, self_care).await.unwrap();
    let civil_affairs = match station.division.as_str() {
        "211102" => sz_civil_affairs(),
        "211103" => xlt_civil_affairs(),
        _ => city_civil_affairs(),
    };
    let placed = kit
        .approve(&civil_affairs, &proposed.placement_id, institution_id, "")
        .await
        .unwrap();
    assert_eq!(placed.status, pb::PlacementStatus::Active as i32);
    placed
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

/// The placement ids of the fees `who` lists (all filters empty).
async fn fee_placements(kit: &Kit, who: &Caller) -> Vec<String> {
    let mut ids: Vec<String> = list_fees(kit, who, Default::default())
        .await
        .unwrap()
        .fees
        .into_iter()
        .map(|fee| fee.placement_id)
        .collect();
    ids.sort();
    ids
}

async fn set_rates(
    kit: &Kit,
    who: &Caller,
    request: pb::SetCountyRatesRequest,
) -> Result<pb::CountyRates, tonic::Status> {
    kit.foster(who)
        .await
        .set_county_rates(request)
        .await
        .map(|response| response.into_inner().rates.unwrap())
}

async fn list_rates(
    kit: &Kit,
    who: &Caller,
    division: &str,
) -> Result<Vec<pb::CountyRates>, tonic::Status> {
    kit.foster(who)
        .await
        .list_county_rates(pb::ListCountyRatesRequest {
            division: division.to_owned(),
        })
        .await
        .map(|response| response.into_inner().rates)
}

/// The only stored version of `division` (the rates file's), read as a station.
async fn file_rates(kit: &Kit, division: &str) -> pb::CountyRates {
    let rates = list_rates(kit, &xlt_station(), division).await.unwrap();
    assert_eq!(rates.len(), 1, "{rates:?}");
    assert_eq!(rates[0].set_by, "file");
    assert_eq!(rates[0].effective_on, "2026-01-01");
    rates[0].clone()
}

/// Rates of `division` from `effective_on` with every amount `base` + a step.
fn new_rates(division: &str, effective_on: &str, base: i64) -> pb::SetCountyRatesRequest {
    pb::SetCountyRatesRequest {
        request_id: request_id(),
        rates: Some(pb::CountyRates {
            division: division.to_owned(),
            effective_on: effective_on.to_owned(),
            basic_living: money(base),
            care_full: money(base / 5),
            care_partial: money(base / 5 * 3),
            care_none: money(base / 5 * 6),
            special_bed: money(base / 2),
            special_rehabilitation: money(base / 3),
            ..Default::default()
        }),
    }
}

/// (component, from, to, days, rates effective on, monthly, bps, amount) of each line.
type LineView = (pb::FeeComponent, String, String, i32, String, i64, i32, i64);

fn lines(fee: &pb::Fee) -> Vec<LineView> {
    fee.lines
        .iter()
        .map(|line| {
            (
                line.component(),
                line.from_on.clone(),
                line.to_on.clone(),
                line.days,
                line.rates_effective_on.clone(),
                fen(&line.monthly),
                line.margin_bps,
                fen(&line.amount),
            )
        })
        .collect()
}

/// The ids and states of the fee deadlines of `placement_id`, by id.
async fn fee_deadlines(kit: &Kit, placement_id: &str) -> Vec<(String, String)> {
    with_db!(&kit.db, |pool| sqlx::query_as::<_, (String, String)>(
        "SELECT id, state FROM deadlines WHERE kind = $1 AND subject = $2 ORDER BY id"
    )
    .bind(FEE_DEADLINE)
    .bind(format!("placement/{placement_id}"))
    .fetch_all(pool)
    .await)
    .unwrap()
}

async fn stored_rates(kit: &Kit) -> i64 {
    with_db!(&kit.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM county_rates"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

fn ts(instant: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(relief_runtime::time::timestamp(instant))
}

cluster_tests!(
    a_whole_month_is_charged_the_file_rates_for_each_self_care_level_plus_the_margin,
    start = kit::at("2026-03-01T09:00:00+08:00"),
    |kit| {
        let station = xlt_station();
        let home = institution_with_agreement(&kit, "兴隆台区社会福利院", &station, 500).await;
        let full = place(&kit, &station, &home, pb::SelfCare::Full, adult()).await;
        let partial = place(&kit, &station, &home, pb::SelfCare::Partial, adult()).await;
        let none = place(&kit, &station, &home, pb::SelfCare::None, adult()).await;
        let group = place(&kit, &station, &home, pb::SelfCare::Partial, special()).await;
        assert!(group.special_group);
        let rates = file_rates(&kit, "211103").await;

        // Nothing before the month's end.
        kit.set_clock(instant_at("2026-03-31T23:59:59+08:00"));
        assert!(
            list_fees(&kit, &city_finance(), Default::default())
                .await
                .unwrap()
                .fees
                .is_empty()
        );
        // At 24:00 of March 31 every resident's March is assessed.
        let month_end = instant_at("2026-04-01T00:00:00+08:00");
        kit.set_clock(month_end);
        let assessed = kit.wait_events::<pb::FeeAssessed>(4).await;
        let basic = fen(&rates.basic_living);
        let expected = [
            (&full, fen(&rates.care_full), 0),
            (&partial, fen(&rates.care_partial), 0),
            (&none, fen(&rates.care_none), 0),
            (
                &group,
                fen(&rates.care_partial),
                fen(&rates.special_bed) + fen(&rates.special_rehabilitation),
            ),
        ];
        let institution = institution_caller(&home);
        let listed = list_fees(&kit, &institution, Default::default())
            .await
            .unwrap();
        assert_eq!(listed.fees.len(), 4);
        let mut sum = 0;
        for (placement, care, special_fees) in expected {
            let subtotal = basic + care + special_fees;
            // 5 % margin, half up.
            let margin = (subtotal * 500 * 2 + 10_000) / 20_000;
            let event = assessed
                .iter()
                .find(|event| event.placement_id == placement.placement_id)
                .unwrap();
            assert_eq!(
                (
                    event.month.as_str(),
                    event.days_in_care,
                    fen(&event.total),
                    event.institution_id.as_str(),
                    event.station.as_str(),
                    event.division.as_str(),
                ),
                (
                    "2026-03",
                    31,
                    subtotal + margin,
                    home.as_str(),
                    "xlt-station",
                    "211103"
                )
            );
            assert_eq!(event.assessed_at, ts(month_end));
            let fee = listed
                .fees
                .iter()
                .find(|fee| fee.placement_id == placement.placement_id)
                .unwrap();
            assert_eq!((fee.days_in_care, fee.days_in_month), (31, 31));
            assert_eq!(fen(&fee.total), subtotal + margin);
            assert_eq!(fee.assessed_at, ts(month_end));
            let whole = |component, monthly, bps, amount| {
                (
                    component,
                    "2026-03-01".to_owned(),
                    "2026-03-31".to_owned(),
                    31,
                    "2026-01-01".to_owned(),
                    monthly,
                    bps,
                    amount,
                )
            };
            let mut want = vec![
                whole(pb::FeeComponent::BasicLiving, basic, 0, basic),
                whole(pb::FeeComponent::Care, care, 0, care),
            ];
            if placement.special_group {
                let (bed, rehabilitation) =
                    (fen(&rates.special_bed), fen(&rates.special_rehabilitation));
                want.push(whole(pb::FeeComponent::Bed, bed, 0, bed));
                want.push(whole(
                    pb::FeeComponent::Rehabilitation,
                    rehabilitation,
                    0,
                    rehabilitation,
                ));
            }
            want.push(whole(pb::FeeComponent::Margin, subtotal, 500, margin));
            assert_eq!(lines(fee), want);
            sum += subtotal + margin;
            // April's deadline waits for April's end.
            assert_eq!(
                fee_deadlines(&kit, &placement.placement_id).await,
                [
                    (
                        format!("{FEE_DEADLINE}:{}:2026-03", placement.placement_id),
                        "fired".to_owned()
                    ),
                    (
                        format!("{FEE_DEADLINE}:{}:2026-04", placement.placement_id),
                        "pending".to_owned()
                    ),
                ]
            );
        }
        assert_eq!(fen(&listed.page_total), sum);
        assert!(listed.next_page_token.is_empty());

        // Scope: the sending station, the county and city bureaus, the county government, the
        // funds supervisors see them; another station, another county, another institution see
        // nothing; other supervisors are refused.
        let mut all: Vec<String> = [&full, &partial, &none, &group]
            .iter()
            .map(|p| p.placement_id.clone())
            .collect();
        all.sort();
        for who in [
            station.clone(),
            xlt_civil_affairs(),
            city_civil_affairs(),
            xlt_government(),
            city_finance(),
            unit(CallerKind::Supervisor, "211100", "city-audit"),
            institution.clone(),
        ] {
            assert_eq!(fee_placements(&kit, &who).await, all, "{}", who.unit);
        }
        for who in [
            sz_station(),
            sz_civil_affairs(),
            institution_caller("01936f0e-0000-7000-8000-000000000000"),
        ] {
            assert!(fee_placements(&kit, &who).await.is_empty(), "{}", who.unit);
        }
        let error = list_fees(&kit, &city_health(), Default::default())
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let error = list_fees(&kit, &xlt_police(), Default::default())
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);

        // Filters and paging.
        let only = |placement_id: &str, month: &str, institution_id: &str| pb::ListFeesRequest {
            placement_id: placement_id.to_owned(),
            month: month.to_owned(),
            institution_id: institution_id.to_owned(),
            ..Default::default()
        };
        let one = list_fees(&kit, &city_finance(), only(&none.placement_id, "", ""))
            .await
            .unwrap();
        assert_eq!(one.fees.len(), 1);
        assert_eq!(fen(&one.page_total), fen(&one.fees[0].total));
        for (request, count) in [
            (only("", "2026-03", ""), 4),
            (only("", "2026-02", ""), 0),
            (only("", "", &home), 4),
            (only("", "", "01936f0e-0000-7000-8000-000000000000"), 0),
        ] {
            let listed = list_fees(&kit, &xlt_civil_affairs(), request.clone())
                .await
                .unwrap();
            assert_eq!(listed.fees.len(), count, "{request:?}");
        }
        let error = list_fees(&kit, &city_finance(), only("", "2026-3", ""))
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), fields(&error)),
            (Code::InvalidArgument, vec!["month".to_owned()])
        );
        let first = list_fees(
            &kit,
            &city_finance(),
            pb::ListFeesRequest {
                page_size: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(first.fees.len(), 3);
        assert!(!first.next_page_token.is_empty());
        let second = list_fees(
            &kit,
            &city_finance(),
            pb::ListFeesRequest {
                page_size: 3,
                page_token: first.next_page_token.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(second.fees.len(), 1);
        assert!(second.next_page_token.is_empty());
        assert_eq!(fen(&first.page_total) + fen(&second.page_total), sum);
        let mut paged: Vec<String> = first
            .fees
            .iter()
            .chain(&second.fees)
            .map(|fee| fee.placement_id.clone())
            .collect();
        paged.sort();
        assert_eq!(paged, all);

        // April's end: April assessed (30 of 30 days), listed before March.
        kit.set_clock(instant_at("2026-05-01T00:00:00+08:00"));
        kit.wait_events::<pb::FeeAssessed>(8).await;
        let months: Vec<String> = list_fees(&kit, &institution, only(&full.placement_id, "", ""))
            .await
            .unwrap()
            .fees
            .into_iter()
            .map(|fee| format!("{} {}/{}", fee.month, fee.days_in_care, fee.days_in_month))
            .collect();
        assert_eq!(months, ["2026-04 30/30", "2026-03 31/31"]);
        kit.stop().await;
    }
);

cluster_tests!(
    county_rates_are_set_by_civil_affairs_in_scope_and_a_mid_month_change_splits_the_month,
    start = kit::at("2026-04-01T09:00:00+08:00"),
    |kit| {
        // The rates file: one version per county-level division of Panjin, read by all.
        let seeded = kit.events::<pb::CountyRatesSet>().await;
        let mut divisions: Vec<&str> = seeded.iter().map(|e| e.division.as_str()).collect();
        divisions.sort();
        assert_eq!(
            divisions,
            ["211100", "211102", "211103", "211104", "211122"]
        );
        assert!(seeded.iter().all(|e| e.set_by == "file"));
        for who in [xlt_station(), city_civil_affairs(), city_finance()] {
            assert_eq!(
                list_rates(&kit, &who, "").await.unwrap().len(),
                5,
                "{}",
                who.unit
            );
        }
        assert_eq!(
            list_rates(
                &kit,
                &institution_caller("01936f0e-0000-7000-8000-000000000000"),
                "211102"
            )
            .await
            .unwrap()
            .len(),
            1
        );
        let county = list_rates(&kit, &xlt_civil_affairs(), "").await.unwrap();
        assert_eq!(county.len(), 1);
        assert_eq!(county[0].division, "211103");
        assert_eq!(
            list_rates(&kit, &xlt_government(), "").await.unwrap(),
            county
        );
        let error = list_rates(&kit, &xlt_civil_affairs(), "211102")
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), fields(&error)),
            (Code::InvalidArgument, vec!["division".to_owned()])
        );
        let error = list_rates(&kit, &city_health(), "").await.unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let before = file_rates(&kit, "211103").await;

        // Refusals change nothing.
        let county = xlt_civil_affairs();
        let error = set_rates(
            &kit,
            &province(),
            new_rates("211103", "2026-04-16", 120_000),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        let error = set_rates(&kit, &county, new_rates("211102", "2026-04-16", 120_000))
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), fields(&error)),
            (Code::InvalidArgument, vec!["rates.division".to_owned()])
        );
        let mut malformed = new_rates("211103", "2026-4-16", 120_000);
        let rates = malformed.rates.as_mut().unwrap();
        rates.care_none = None;
        rates.special_bed = money(-1);
        let error = set_rates(&kit, &county, malformed).await.unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        let mut bad = fields(&error);
        bad.sort();
        assert_eq!(
            bad,
            ["rates.care_none", "rates.effective_on", "rates.special_bed"]
        );
        let error = set_rates(
            &kit,
            &county,
            pb::SetCountyRatesRequest {
                request_id: request_id(),
                rates: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&error), ["rates"]);
        let error = set_rates(&kit, &county, new_rates("211103", "2026-01-01", 120_000))
            .await
            .unwrap_err();
        assert_eq!(
            (error.code(), reason(&error).as_str()),
            (Code::FailedPrecondition, "RATES_ALREADY_SET")
        );
        let error = set_rates(&kit, &xlt_station(), new_rates("211103", "2026-04-16", 1))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied);
        assert_eq!(stored_rates(&kit).await, 5);
        assert_eq!(kit.events::<pb::CountyRatesSet>().await.len(), 5);
        assert_eq!(file_rates(&kit, "211103").await, before);

        // A resident placed on April 1; the county raises its rates from April 16.
        let station = xlt_station();
        let home = institution_with_agreement(&kit, "兴隆台区社会福利院", &station, 300).await;
        let resident = place(&kit, &station, &home, pb::SelfCare::Partial, adult()).await;
        let raise = new_rates("211103", "2026-04-16", 124_000);
        let stored = set_rates(&kit, &county, raise.clone()).await.unwrap();
        assert_eq!(
            (stored.set_by.as_str(), stored.effective_on.as_str()),
            ("xlt-civil-affairs", "2026-04-16")
        );
        assert_eq!(stored.care_partial, money(124_000 / 5 * 3));
        // A retry answers the same and stores nothing more; the same day again is refused.
        assert_eq!(set_rates(&kit, &county, raise).await.unwrap(), stored);
        let error = set_rates(&kit, &county, new_rates("211103", "2026-04-16", 1))
            .await
            .unwrap_err();
        assert_eq!(reason(&error), "RATES_ALREADY_SET");
        let set = kit.events::<pb::CountyRatesSet>().await;
        assert_eq!(set.len(), 6);
        assert_eq!(
            (
                set[5].division.as_str(),
                set[5].effective_on.as_str(),
                set[5].set_by.as_str()
            ),
            ("211103", "2026-04-16", "xlt-civil-affairs")
        );
        // Latest first within the division.
        let versions: Vec<String> = list_rates(&kit, &station, "211103")
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.effective_on)
            .collect();
        assert_eq!(versions, ["2026-04-16", "2026-01-01"]);
        // The city bureau sets any division of the city.
        set_rates(
            &kit,
            &city_civil_affairs(),
            new_rates("211102", "2026-07-01", 118_000),
        )
        .await
        .unwrap();

        // April's end: 1–15 at the file's rates, 16–30 at the new ones, each 15 of 30 days.
        kit.set_clock(instant_at("2026-05-01T00:00:00+08:00"));
        let assessed = kit.wait_events::<pb::FeeAssessed>(1).await;
        let fees = list_fees(&kit, &station, Default::default())
            .await
            .unwrap()
            .fees;
        assert_eq!(fees.len(), 1);
        let fee = &fees[0];
        assert_eq!(fee.placement_id, resident.placement_id);
        assert_eq!(
            (fee.month.as_str(), fee.days_in_care, fee.days_in_month),
            ("2026-04", 30, 30)
        );
        let half = |monthly: i64| (monthly * 15 * 2 + 30) / 60;
        let (old_basic, old_care) = (fen(&before.basic_living), fen(&before.care_partial));
        let (new_basic, new_care) = (124_000, 124_000 / 5 * 3);
        let old_subtotal = half(old_basic) + half(old_care);
        let new_subtotal = half(new_basic) + half(new_care);
        let margin = |subtotal: i64| (subtotal * 300 * 2 + 10_000) / 20_000;
        let run = |from: &'static str, to: &'static str, rates: &'static str| {
            move |component, monthly, bps, amount| {
                (
                    component,
                    from.to_owned(),
                    to.to_owned(),
                    15,
                    rates.to_owned(),
                    monthly,
                    bps,
                    amount,
                )
            }
        };
        let early = run("2026-04-01", "2026-04-15", "2026-01-01");
        let late = run("2026-04-16", "2026-04-30", "2026-04-16");
        assert_eq!(
            lines(fee),
            [
                early(pb::FeeComponent::BasicLiving, old_basic, 0, half(old_basic)),
                early(pb::FeeComponent::Care, old_care, 0, half(old_care)),
                early(
                    pb::FeeComponent::Margin,
                    old_subtotal,
                    300,
                    margin(old_subtotal)
                ),
                late(pb::FeeComponent::BasicLiving, new_basic, 0, half(new_basic)),
                late(pb::FeeComponent::Care, new_care, 0, half(new_care)),
                late(
                    pb::FeeComponent::Margin,
                    new_subtotal,
                    300,
                    margin(new_subtotal)
                ),
            ]
        );
        let total = old_subtotal + margin(old_subtotal) + new_subtotal + margin(new_subtotal);
        assert_eq!(fen(&fee.total), total);
        assert_eq!(fen(&assessed[0].total), total);

        // A later version never alters an assessed fee.
        set_rates(&kit, &county, new_rates("211103", "2026-04-20", 200_000))
            .await
            .unwrap();
        let again = list_fees(&kit, &station, Default::default())
            .await
            .unwrap()
            .fees;
        assert_eq!(&again[0], fee);
        kit.stop().await;
    }
);

/// Ends `placement_id` at `ended_at` as the sending station (back to the station).
async fn end(kit: &Kit, placement_id: &str, ended_at: DateTime<Utc>) -> pb::Placement {
    kit.foster(&xlt_station())
        .await
        .end_placement(pb::EndPlacementRequest {
            request_id: request_id(),
            placement_id: placement_id.to_owned(),
            kind: pb::PlacementEndKind::BackToStation as i32,
            ended_at: ts(ended_at),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .placement
        .unwrap()
}

cluster_tests!(
    a_placement_ended_mid_month_is_assessed_at_once_prorated_and_no_further_month,
    start = kit::at("2026-05-10T10:00:00+08:00"),
    |kit| {
        let station = xlt_station();
        let home = institution_with_agreement(&kit, "兴隆台区社会福利院", &station, 1_000).await;
        let resident = place(&kit, &station, &home, pb::SelfCare::None, special()).await;
        // Placed and ended on the same day: no day in care, nothing charged.
        let brief = place(&kit, &station, &home, pb::SelfCare::Full, adult()).await;
        kit.set_clock(instant_at("2026-05-10T17:00:00+08:00"));
        end(
            &kit,
            &brief.placement_id,
            instant_at("2026-05-10T16:00:00+08:00"),
        )
        .await;

        // Ended on May 20 at 15:00: May 10 to 19 are charged, 10 of 31 days.
        kit.set_clock(instant_at("2026-05-21T08:00:00+08:00"));
        let ended_at = instant_at("2026-05-20T15:00:00+08:00");
        let ended = end(&kit, &resident.placement_id, ended_at).await;
        assert_eq!(ended.status, pb::PlacementStatus::Ended as i32);
        let assessed = kit.events::<pb::FeeAssessed>().await;
        assert_eq!(assessed.len(), 1, "assessed in the ending transaction");
        assert_eq!(assessed[0].placement_id, resident.placement_id);
        assert_eq!(assessed[0].assessed_at, ts(ended_at));
        let rates = file_rates(&kit, "211103").await;
        let prorate = |money: &Option<Money>| (fen(money) * 10 * 2 + 31) / 62;
        let subtotal = prorate(&rates.basic_living)
            + prorate(&rates.care_none)
            + prorate(&rates.special_bed)
            + prorate(&rates.special_rehabilitation);
        let margin = (subtotal * 1_000 * 2 + 10_000) / 20_000;
        let fees = list_fees(&kit, &city_finance(), Default::default())
            .await
            .unwrap()
            .fees;
        assert_eq!(fees.len(), 1);
        let fee = &fees[0];
        assert_eq!(
            (fee.month.as_str(), fee.days_in_care, fee.days_in_month),
            ("2026-05", 10, 31)
        );
        assert_eq!(fen(&fee.total), subtotal + margin);
        assert_eq!(fee.assessed_at, ts(ended_at));
        assert!(fee.lines.iter().all(|line| line.from_on == "2026-05-10"
            && line.to_on == "2026-05-19"
            && line.days == 10));
        assert_eq!(fen(&assessed[0].total), subtotal + margin);
        // The month-end deadlines of both were cancelled.
        for placement in [&resident, &brief] {
            assert_eq!(
                fee_deadlines(&kit, &placement.placement_id).await,
                [(
                    format!("{FEE_DEADLINE}:{}:2026-05", placement.placement_id),
                    "cancelled".to_owned()
                )]
            );
        }

        // May's and June's ends pass: nothing more.
        kit.set_clock(instant_at("2026-07-01T00:00:01+08:00"));
        let later = place(&kit, &station, &home, pb::SelfCare::Full, adult()).await;
        kit.set_clock(instant_at("2026-08-01T00:00:00+08:00"));
        let assessed = kit.wait_events::<pb::FeeAssessed>(2).await;
        assert_eq!(assessed.len(), 2);
        assert_eq!(assessed[1].placement_id, later.placement_id);
        assert_eq!(
            list_fees(&kit, &city_finance(), Default::default())
                .await
                .unwrap()
                .fees
                .len(),
            2
        );
        kit.stop().await;
    }
);
