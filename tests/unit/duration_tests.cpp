#include <catch2/catch.hpp>

#include "core/duration.hpp"

using namespace certfleet;

TEST_CASE("durations: a bare number is days, units are h, d, w and y", "[core]") {
    constexpr std::int64_t kDay = 86400;
    CHECK(parse_duration("30") == 30 * kDay);
    CHECK(parse_duration("30d") == 30 * kDay);
    CHECK(parse_duration("12h") == 12 * 3600);
    CHECK(parse_duration("2w") == 14 * kDay);
    CHECK(parse_duration("1y") == 365 * kDay);
    CHECK(parse_duration("2W") == 14 * kDay);
    CHECK(parse_duration("3 days") == 3 * kDay);
    CHECK(parse_duration("1 week") == 7 * kDay);
    CHECK(parse_duration(" 0 ") == 0);
    CHECK(parse_duration("100y") == kMaxDurationSeconds);
    for (const char* bad : {"", "d", "soon", "-5", "1.5d", "3m", "10min", "1mo", "101y", "36501", "99999999999999999999"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad));
        CHECK_FALSE(duration_problem(bad).empty());
    }
}

TEST_CASE("durations: a rejected one is explained, with the fix where one is likely", "[core]") {
    CHECK(duration_problem("30d").empty());
    CHECK(duration_problem("") == "the duration is empty: expected a number of days (30) or a number with a unit: 12h, "
                                  "30d, 2w, 1y");
    CHECK_THAT(duration_problem("1m"), Catch::StartsWith("'1m': certfleet has no month or minute unit; write 30d or 4w"));
    CHECK_THAT(duration_problem("2 months"), Catch::Contains("no month or minute unit"));
    CHECK_THAT(duration_problem("5q"), Catch::StartsWith("'5q': unknown unit 'q'; expected a number of days"));
    CHECK_THAT(duration_problem("-5"), Catch::StartsWith("'-5' is negative"));
    CHECK_THAT(duration_problem("soon"), Catch::StartsWith("'soon' does not start with a number"));
    CHECK(duration_problem("200y") == "'200y' is over a hundred years");
}
