// Calendar date -> seconds since 1970-01-01 UTC, for the journal's timestamps (EFI
// GetTime gives a broken-down date). Pure and constexpr: checked by the static_asserts
// below at compile time. A candidate for the portable core (the agent formats the
// journal's times and could use the inverse).
#pragma once
#include <stdint.h>

namespace wdboot::efi {

// Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar
// (negative before 1970). Counts in eras of 400 years, each 146097 days, starting on
// March 1st so that the leap day is the last day of a counted year.
constexpr int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
    year -= month <= 2 ? 1 : 0;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const int64_t year_of_era = year - era * 400;                               // [0, 399]
    const int64_t month_from_march = month > 2 ? month - 3 : month + 9;         // [0, 11]
    const int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;     // [0, 365]
    const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;  // 719468: days from 0000-03-01 to 1970-01-01
}

// Seconds since 1970-01-01 00:00:00 UTC.
constexpr uint64_t unix_seconds(int64_t year, unsigned month, unsigned day, unsigned hour,
                                unsigned minute, unsigned second) {
    int64_t days = days_from_civil(year, month, day);
    return static_cast<uint64_t>(days * 86400 + hour * 3600 + minute * 60 + second);
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(1970, 3, 1) == 59);
static_assert(days_from_civil(2000, 2, 29) == 11016);  // leap day of a /400 year
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28) == 1);  // 2100: no leap day
static_assert(days_from_civil(1969, 12, 31) == -1);
static_assert(unix_seconds(2026, 11, 25, 10, 56, 52) == 1795604212);  // date -d @1795604212 -u
static_assert(unix_seconds(2038, 1, 19, 3, 14, 8) == 0x80000000ull);

}  // namespace wdboot::efi
