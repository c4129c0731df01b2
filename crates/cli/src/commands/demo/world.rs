//! What the demo knows as it drives: each person's plan and how far their stay has gone (the
//! ids the services gave back), the institutions, the visits the stations mean to make, and the
//! running tally of what was done.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use relief_proto::identity::v1 as identity;
use relief_runtime::Caller;

use super::cast::{Plan, Stated};
use super::clock::{Calendar, days_in_month, local};
use super::connect::Connection;

/// A verification request the station filed.
#[derive(Debug, Clone)]
pub struct Filed {
    /// The request.
    pub verification_id: String,
    /// The one method it asks for.
    pub method: identity::VerificationMethod,
    /// The day it was filed.
    pub filed_day: u32,
    /// The unit acknowledged it.
    pub acknowledged: bool,
    /// The unit submitted its result.
    pub answered: bool,
}

/// A person of the month and how far their stay has gone.
#[derive(Debug, Clone)]
pub struct Person {
    /// What was drawn.
    pub plan: Plan,
    /// The sighting reported.
    pub sighting_id: Option<String>,
    /// The encounter recorded.
    pub encounter_id: Option<String>,
    /// The case of the stay.
    pub case_id: Option<String>,
    /// The day of admission.
    pub admitted_day: Option<u32>,
    /// The instant of admission.
    pub admitted_at: Option<DateTime<Utc>>,
    /// The identity file (not for a person confirmed at admission).
    pub file_id: Option<String>,
    /// The family-search notice is recorded.
    pub notice_recorded: bool,
    /// The verification requests are filed.
    pub requests_filed: bool,
    /// The requests.
    pub requests: Vec<Filed>,
    /// The day a police result identified the person.
    pub police_identified_day: Option<u32>,
    /// The day the station learnt who the person is (from the police or relatives).
    pub identified_day: Option<u32>,
    /// The placement proposed and not decided yet.
    pub proposal: Option<String>,
    /// The active placement and its institution (index into [`World::institutions`]).
    pub placement: Option<(String, usize)>,
    /// The day the person was placed.
    pub placed_day: Option<u32>,
    /// The stay ended (or the person was never admitted).
    pub closed: bool,
    /// Lodging and meals are recorded up to (not including) this day.
    pub services_through: u32,
    /// The reason for a long stay is recorded.
    pub justified: bool,
}

impl Person {
    /// A person who has not come yet.
    pub fn new(plan: Plan) -> Person {
        Person {
            plan,
            sighting_id: None,
            encounter_id: None,
            case_id: None,
            admitted_day: None,
            admitted_at: None,
            file_id: None,
            notice_recorded: false,
            requests_filed: false,
            requests: Vec::new(),
            police_identified_day: None,
            identified_day: None,
            proposal: None,
            placement: None,
            placed_day: None,
            closed: false,
            services_through: 0,
            justified: false,
        }
    }

    /// Admitted, and the stay goes on.
    pub fn in_care(&self) -> bool {
        self.case_id.is_some() && !self.closed
    }

    /// In the station: admitted, not placed, not closed.
    pub fn in_station(&self) -> bool {
        self.in_care() && self.placement.is_none()
    }

    /// Will stay unidentified all month (as far as the demo knows).
    pub fn stays_unidentified(&self) -> bool {
        self.plan.stated != Stated::Confirmed
            && !self.plan.face_identifies
            && !self.plan.dna_identifies
            && self.plan.relatives_after.is_none()
    }
}

/// A foster institution the demo works with.
#[derive(Debug, Clone)]
pub struct Institution {
    /// Its id (the unit its certificate names).
    pub id: String,
    /// Its name.
    pub name: &'static str,
    /// Takes the elderly (an elderly-care institution) rather than everyone else.
    pub for_elderly: bool,
    /// The institution as a caller.
    pub caller: Caller,
}

/// A monthly visit a station means to make.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The placement.
    pub placement_id: String,
    /// The visiting (sending) station.
    pub station: Caller,
    /// The day of the drive.
    pub day: u32,
    /// The station forgets it (the one missed visit of the month).
    pub missed: bool,
    /// Made.
    pub done: bool,
}

/// What was done, counted as it was done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Sightings reported.
    pub sightings: u32,
    /// Encounters recorded.
    pub encounters: u32,
    /// Refusals of help.
    pub refusals: u32,
    /// Handovers accepted.
    pub handovers: u32,
    /// People taken to hospital.
    pub hospital: u32,
    /// Admissions.
    pub admissions: u32,
    /// Admitted with an unknown identity.
    pub admitted_unknown: u32,
    /// Minors admitted.
    pub admitted_minors: u32,
    /// Elderly admitted.
    pub admitted_elderly: u32,
    /// Disabled admitted.
    pub admitted_disabled: u32,
    /// Family-search notices recorded.
    pub notices: u32,
    /// Verification requests filed.
    pub requests: u32,
    /// Requests acknowledged by the police.
    pub acknowledged: u32,
    /// Results submitted by the police.
    pub results: u32,
    /// Results submitted after the request's due time.
    pub late_results: u32,
    /// People the police identified.
    pub police_identified: u32,
    /// Identities confirmed by relatives.
    pub relatives_confirmed: u32,
    /// Returns home (from a station or foster care).
    pub returns_home: u32,
    /// Self-departures.
    pub self_departures: u32,
    /// People gone missing.
    pub missing: u32,
    /// Placements proposed.
    pub proposed: u32,
    /// Placements approved.
    pub placed: u32,
    /// Proposals declined.
    pub declined: u32,
    /// Visits made.
    pub visits: u32,
    /// Visits missed.
    pub visits_missed: u32,
    /// Monthly reports filed by institutions.
    pub reports: u32,
    /// Incidents reported (station and institution).
    pub incidents: u32,
    /// Long stays justified.
    pub stays_justified: u32,
    /// Follow-ups after a return home recorded.
    pub follow_ups: u32,
    /// Services recorded.
    pub services: u32,
    /// Their cost, in fen.
    pub service_fen: i64,
    /// Notifications acknowledged.
    pub notifications_acknowledged: u32,
}

/// Everything the demo drives with.
#[derive(Debug)]
pub struct World {
    /// The cluster.
    pub conn: Connection,
    /// The days driven.
    pub calendar: Calendar,
    /// Today: the index of the day being driven.
    pub today: u32,
    /// The people of the month.
    pub people: Vec<Person>,
    /// The institutions.
    pub institutions: Vec<Institution>,
    /// The visits planned.
    pub visits: Vec<Visit>,
    /// The missed visit of the month is chosen.
    pub missed_chosen: bool,
    /// The incident in an institution is reported.
    pub foster_incident_reported: bool,
    /// What was done.
    pub tally: Tally,
}

impl World {
    /// Local `hour:minute` of today.
    pub fn at(&self, hour: u32, minute: u32) -> DateTime<Utc> {
        local(self.date(), hour, minute)
    }

    /// Today's local date.
    pub fn date(&self) -> NaiveDate {
        self.calendar.day(self.today)
    }

    /// The day index of the last day of today's month (may lie past the drive).
    pub fn month_end_day(&self) -> u32 {
        let date = self.date();
        self.today + (days_in_month(date) - date.day())
    }

    /// The person with the case `case_id`.
    pub fn person_of_case(&self, case_id: &str) -> Option<usize> {
        self.people
            .iter()
            .position(|person| person.case_id.as_deref() == Some(case_id))
    }

    /// The person and request of `verification_id`.
    pub fn request(&self, verification_id: &str) -> Option<(usize, usize)> {
        self.people.iter().enumerate().find_map(|(index, person)| {
            person
                .requests
                .iter()
                .position(|filed| filed.verification_id == verification_id)
                .map(|request| (index, request))
        })
    }

    /// Plans a visit to `placement_id` by `station` on `day` (at most one a month each); the
    /// first visit of the month reported on to a resident who stays unidentified is the one
    /// the station misses.
    pub fn plan_visit(&mut self, placement_id: &str, station: &Caller, day: u32, stays: bool) {
        let month = self.calendar.day(day).month();
        if self.visits.iter().any(|visit| {
            visit.placement_id == placement_id && self.calendar.day(visit.day).month() == month
        }) {
            return;
        }
        let date = self.calendar.day(day);
        let report_month = (date.year(), date.month())
            == (self.calendar.month.year(), self.calendar.month.month());
        let missed = report_month && stays && !self.missed_chosen;
        self.missed_chosen |= missed;
        self.visits.push(Visit {
            placement_id: placement_id.to_owned(),
            station: station.clone(),
            day,
            missed,
            done: false,
        });
    }
}
