//! `relief demo`: against a running `relief dev --dev-clock`, drives a realistic month through
//! the four services as the real callers would, moving the shared dev clock day by day, then
//! waits until reporting has caught up, prints the dashboard and writes the month's statistics
//! as an XLSX workbook.
//!
//! Each day has three rounds, at 08:30, 10:30 and 15:00 local time:
//!
//! - the street (by 08:30): patrols, grid officers and police report the people they find and
//!   record what they did: informed, escorted with a written handover, taken to hospital,
//!   refused; the 12345 hotline relays tips ([`street`](self));
//! - the stations (by 10:30): handovers accepted, admissions (some of unknown identity, some
//!   minors, elderly or disabled), services and their costs, family-search notices and
//!   verification requests, returns home, self-departures, a person gone missing, foster-care
//!   proposals, long stays justified, monthly visits to residents (one forgotten);
//! - the afternoon (15:00): the hospital reports stays and discharges, the police identity units
//!   acknowledge and answer their requests (most on time, some late), the county bureaus decide
//!   placements and record follow-ups, the institutions file monthly reports and one reports an
//!   injury, and every unit's desk acknowledges its notifications.
//!
//! The month driven is the first whose run-up (the last [`PRELUDE_DAYS`] days of the month
//! before) is still ahead of the clock; requests filed in the run-up fall due within the month.
//! Every mutating call carries its own `request_id`, kept across retries. Who is found, what they
//! say and how their stay goes is drawn from `--seed`.

mod calls;
mod cast;
mod civil_affairs;
mod clock;
mod connect;
mod desks;
mod hospital;
mod institution;
mod police;
mod report;
mod station;
mod street;
mod units;
mod world;

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::Datelike;
use indicatif::{ProgressBar, ProgressStyle};

pub use clock::{Calendar, PRELUDE_DAYS};
pub use world::Tally;

use clock::{DevClock, local};
use connect::Connection;
use world::{Person, World};

/// Options of `relief demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The data directory of the running `relief dev` (its dev PKI is under `pki/`).
    pub data_dir: PathBuf,
    /// The first of the four consecutive ports of `relief dev`.
    pub base_port: u16,
    /// `relief dev` runs in plaintext (`--insecure`): send the caller in `x-relief-caller`.
    pub insecure: bool,
    /// Where to write the month's XLSX (default `报表_<YYYY-MM>.xlsx` in the current directory).
    pub out: Option<PathBuf>,
    /// The seed of the month's mix (default: a random one, printed).
    pub seed: Option<u64>,
    /// Drive only this many days (the run-up included) instead of the whole month.
    pub days: Option<u32>,
    /// Show a progress bar.
    pub progress: bool,
}

/// What a drive did.
#[derive(Debug, Clone)]
pub struct Driven {
    /// The seed of the mix.
    pub seed: u64,
    /// The days driven and the month reported on.
    pub calendar: Calendar,
    /// What was done, counted.
    pub tally: Tally,
    /// The cases admitted.
    pub case_ids: Vec<String>,
    /// The placements approved.
    pub placement_ids: Vec<String>,
}

/// What the end of the demo got from reporting.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The dashboard once reporting had caught up.
    pub dashboard: relief_proto::reporting::v1::GetDashboardResponse,
    /// Where the month's XLSX was written.
    pub written: PathBuf,
}

/// `relief demo`: drives the month, then prints the dashboard and writes the XLSX.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    let driven = drive(&options).await?;
    print!("{}", summary(&driven));
    let finished = finish(&options, &driven).await?;
    println!();
    print!("{}", report::render_dashboard(&finished.dashboard));
    println!();
    println!(
        "wrote the statistics of {} to {}",
        driven.calendar.month_label(),
        finished.written.display()
    );
    Ok(())
}

/// The end of the demo: waits until reporting has applied every event of its feeds, reads the
/// dashboard and writes the month's statistics as XLSX (to `options.out`, default
/// `报表_<YYYY-MM>.xlsx`). A clear error when reporting cannot do it.
pub async fn finish(options: &DemoOptions, driven: &Driven) -> anyhow::Result<Finished> {
    let conn = Connection::new(&options.data_dir, options.base_port, options.insecure);
    report::wait_until_caught_up(&conn, options.progress).await?;
    let dashboard = report::dashboard(&conn).await?;
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| report::default_file_name(driven.calendar.month));
    let written = report::export_month(&conn, driven.calendar.month, &out).await?;
    Ok(Finished { dashboard, written })
}

/// Drives the days of the month (or `options.days` of them) against the running cluster; checks
/// first that it runs on a dev clock.
pub async fn drive(options: &DemoOptions) -> anyhow::Result<Driven> {
    let conn = Connection::new(&options.data_dir, options.base_port, options.insecure);
    let mut clock = DevClock::connect(&conn).await?;
    let calendar = Calendar::from(clock.now().await?, options.days);
    let seed = options.seed.unwrap_or_else(calls::random_seed);
    if options.progress {
        // Before anything can fail: a run that stops can be replayed with `--seed`.
        eprintln!("relief demo: seed {seed} (replay with --seed {seed})");
    }
    let people = cast::draw(seed, &calendar)
        .into_iter()
        .map(Person::new)
        .collect();
    let mut world = World {
        conn,
        calendar,
        today: 0,
        people,
        institutions: Vec::new(),
        visits: Vec::new(),
        missed_chosen: false,
        foster_incident_reported: false,
        tally: Tally::default(),
    };
    let bar = if options.progress {
        ProgressBar::new(u64::from(calendar.days))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} days  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    clock.move_to(local(calendar.start, 8, 0)).await?;
    civil_affairs::set_up(&mut world)
        .await
        .context("setting up the institutions and agreements")?;
    for day in 0..calendar.days {
        world.today = day;
        let date = calendar.day(day);
        bar.set_message(format!(
            "{date}  admitted {}  placed {}  home {}",
            world.tally.admissions, world.tally.placed, world.tally.returns_home
        ));
        drive_day(&mut world, &mut clock)
            .await
            .with_context(|| format!("on {date}"))?;
        bar.inc(1);
    }
    // The night after the last day: what falls due at its end (a month's end) fires.
    clock
        .move_to(local(calendar.day(calendar.days), 0, 30))
        .await?;
    bar.finish_and_clear();
    Ok(Driven {
        seed,
        calendar,
        case_ids: world
            .people
            .iter()
            .filter_map(|person| person.case_id.clone())
            .collect(),
        placement_ids: placements(&world),
        tally: world.tally,
    })
}

/// Every placement approved during the drive.
fn placements(world: &World) -> Vec<String> {
    world
        .visits
        .iter()
        .map(|visit| visit.placement_id.clone())
        .chain(
            world
                .people
                .iter()
                .filter_map(|person| person.placement.as_ref().map(|(id, _)| id.clone())),
        )
        .fold(Vec::new(), |mut ids, id| {
            if !ids.contains(&id) {
                ids.push(id);
            }
            ids
        })
}

/// One day's three rounds.
async fn drive_day(world: &mut World, clock: &mut DevClock) -> anyhow::Result<()> {
    let date = world.date();
    clock.move_to(local(date, 8, 30)).await?;
    street::morning_round(world).await?;
    clock.move_to(local(date, 10, 30)).await?;
    if world.today == 0 || date.day() == 1 {
        civil_affairs::plan_month_visits(world).await?;
    }
    station::morning(world).await?;
    clock.move_to(local(date, 15, 0)).await?;
    hospital::afternoon(world).await?;
    police::afternoon(world).await?;
    civil_affairs::afternoon(world).await?;
    institution::afternoon(world).await?;
    desks::afternoon(world).await
}

/// An amount in fen as yuan: `¥41,427.50`.
fn yuan(fen: i64) -> String {
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (position, digit) in whole.chars().enumerate() {
        if position > 0 && (whole.len() - position).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("¥{grouped}.{:02}", fen % 100)
}

/// What the drive did, in a few lines.
pub fn summary(driven: &Driven) -> String {
    let t = &driven.tally;
    let calendar = &driven.calendar;
    let last = calendar.day(calendar.days.saturating_sub(1));
    format!(
        "drove {} to {} ({} days, seed {}), reporting on {}:\n\
         \x20 street      {} sightings, {} encounters ({} refused help, {} taken to hospital), {} handovers\n\
         \x20 stations    {} admissions ({} identity unknown, {} minors, {} elderly, {} disabled); {} services, {}\n\
         \x20 identity    {} family-search notices; {} verification requests: {} acknowledged, {} results ({} late), {} identified by the police, {} by relatives\n\
         \x20 departures  {} home, {} on their own, {} missing\n\
         \x20 foster      {} proposed, {} placed, {} declined; {} visits ({} missed), {} monthly reports; {} incidents reported\n\
         \x20 follow-up   {} long stays justified, {} follow-ups after a return home, {} notifications acknowledged\n",
        calendar.start,
        last,
        calendar.days,
        driven.seed,
        calendar.month_label(),
        t.sightings,
        t.encounters,
        t.refusals,
        t.hospital,
        t.handovers,
        t.admissions,
        t.admitted_unknown,
        t.admitted_minors,
        t.admitted_elderly,
        t.admitted_disabled,
        t.services,
        yuan(t.service_fen),
        t.notices,
        t.requests,
        t.acknowledged,
        t.results,
        t.late_results,
        t.police_identified,
        t.relatives_confirmed,
        t.returns_home,
        t.self_departures,
        t.missing,
        t.proposed,
        t.placed,
        t.declined,
        t.visits,
        t.visits_missed,
        t.reports,
        t.incidents,
        t.stays_justified,
        t.follow_ups,
        t.notifications_acknowledged,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_yuan_with_thousands_separated() {
        assert_eq!(yuan(4_142_750), "¥41,427.50");
        assert_eq!(yuan(3_500), "¥35.00");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(0), "¥0.00");
    }
}
