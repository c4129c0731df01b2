//! Legal time, holiday calendars, ID numbers and division codes.
