// The EFI_TCG2_EVENT that wdboot hands to HashLogExtendEvent (wdboot/tpm_event.hpp):
// golden bytes of the layout, the bounds of the description and the buffer, and every
// error, each leaving the caller's buffer untouched.
#include <catch2/catch.hpp>

#include <iterator>
#include <string>
#include <vector>

#include "wdboot/config.hpp"
#include "wdboot/tpm_event.hpp"

using namespace wdboot;

namespace {

constexpr uint8_t kFill = 0xA5;

std::vector<uint8_t> filled(size_t n) { return std::vector<uint8_t>(n, kFill); }

bool untouched(const std::vector<uint8_t>& v) {
    for (uint8_t b : v)
        if (b != kFill) return false;
    return true;
}

// Size, HeaderSize, HeaderVersion, PCRIndex, EventType as the specification lays them out.
std::vector<uint8_t> header(uint32_t size, uint32_t pcr, uint32_t type) {
    auto le32 = [](std::vector<uint8_t>& v, uint32_t x) {
        for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
    };
    std::vector<uint8_t> v;
    le32(v, size);
    le32(v, 14);
    v.push_back(1);
    v.push_back(0);
    le32(v, pcr);
    le32(v, type);
    return v;
}

}  // namespace

TEST_CASE("tpm event: the PCRs, event type and header constants are the decided ones") {
    CHECK(kPcrBootManagerConfig == 5);
    CHECK(kPcrInitrd == 9);
    CHECK(kPcrKernelCommandLine == 12);
    CHECK(kEvIpl == 0x0000000D);
    CHECK(kTcg2EventHeaderSize == 14);
    CHECK(kTcg2EventHeaderVersion == 1);
    CHECK(kTcg2EventFixedBytes == 18);
    // A whole kernel command line can be logged as the description.
    CHECK(kMaxEventDescriptionChars >= kOptionsMax);
}

TEST_CASE("tpm event: ASCII description, byte-exact layout") {
    auto out = filled(64);
    size_t size = 99;
    REQUIRE(build_tcg2_event(kPcrInitrd, kEvIpl, "/a.img", EventText::ascii, out.data(), out.size(), size) ==
            Tcg2EventStatus::ok);
    std::vector<uint8_t> want = header(18 + 7, 9, 0x0D);
    for (char c : std::string("/a.img")) want.push_back(static_cast<uint8_t>(c));
    want.push_back(0);
    REQUIRE(size == want.size());
    CHECK(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(size)) == want);
    // Nothing written past the event.
    for (size_t i = size; i < out.size(); ++i) CHECK(out[i] == kFill);
}

TEST_CASE("tpm event: UTF-16LE description, byte-exact layout") {
    auto out = filled(64);
    size_t size = 0;
    REQUIRE(build_tcg2_event(kPcrKernelCommandLine, kEvIpl, "ro q", EventText::utf16le, out.data(), out.size(),
                             size) == Tcg2EventStatus::ok);
    std::vector<uint8_t> want = header(18 + 10, 12, 0x0D);
    for (uint8_t b : std::vector<uint8_t>{'r', 0, 'o', 0, ' ', 0, 'q', 0, 0, 0}) want.push_back(b);
    REQUIRE(size == want.size());
    CHECK(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(size)) == want);
    CHECK(out[size] == kFill);
}

TEST_CASE("tpm event: UCS-2 description keeps every unit, stops at the first NUL") {
    // What set_options_text leaves on an image: the text and one NUL; a unit above
    // 0xFF (from a Boot#### entry) is logged as it is, high byte included.
    const uint16_t units[] = {u'r', u'o', 0x20AC, 0, u'x', u'y'};
    auto out = filled(64);
    size_t size = 0;
    REQUIRE(build_tcg2_event_ucs2(kPcrKernelCommandLine, kEvIpl, units, 6, out.data(), out.size(), size) ==
            Tcg2EventStatus::ok);
    std::vector<uint8_t> want = header(18 + 8, 12, 0x0D);
    for (uint8_t b : std::vector<uint8_t>{'r', 0, 'o', 0, 0xAC, 0x20, 0, 0}) want.push_back(b);
    REQUIRE(size == want.size());
    CHECK(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(size)) == want);
}

TEST_CASE("tpm event: UCS-2 description without a NUL gets one") {
    const uint16_t units[] = {u'a', u'b'};
    auto out = filled(32);
    size_t size = 0;
    REQUIRE(build_tcg2_event_ucs2(3, 0x80000001u, units, 2, out.data(), out.size(), size) == Tcg2EventStatus::ok);
    std::vector<uint8_t> want = header(18 + 6, 3, 0x80000001u);
    for (uint8_t b : std::vector<uint8_t>{'a', 0, 'b', 0, 0, 0}) want.push_back(b);
    REQUIRE(size == want.size());
    CHECK(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(size)) == want);
}

TEST_CASE("tpm event: an empty description is the NUL alone") {
    auto out = filled(32);
    size_t size = 0;
    REQUIRE(build_tcg2_event(0, kEvIpl, "", EventText::ascii, out.data(), out.size(), size) ==
            Tcg2EventStatus::ok);
    CHECK(size == 19);
    CHECK(out[18] == 0);
    REQUIRE(build_tcg2_event(0, kEvIpl, "", EventText::utf16le, out.data(), out.size(), size) == Tcg2EventStatus::ok);
    CHECK(size == 20);
    REQUIRE(build_tcg2_event_ucs2(0, kEvIpl, nullptr, 0, out.data(), out.size(), size) == Tcg2EventStatus::ok);
    CHECK(size == 20);
    CHECK(out[0] == 20);
}

TEST_CASE("tpm event: a buffer one byte too small is refused and left untouched") {
    const uint16_t units[] = {u'a', u'b', 0};
    // Exact fits first, then one byte less.
    for (size_t extra : {size_t(0), size_t(1)}) {
        bool fits = extra == 0;
        INFO("one byte short: " << !fits);
        auto a = filled(18 + 4 - extra);
        auto w = filled(18 + 8 - extra);
        auto u = filled(18 + 6 - extra);
        size_t size = 77;
        Tcg2EventStatus want = fits ? Tcg2EventStatus::ok : Tcg2EventStatus::buffer_too_small;
        CHECK(build_tcg2_event(5, kEvIpl, "abc", EventText::ascii, a.data(), a.size(), size) == want);
        CHECK(size == (fits ? a.size() : 0));
        CHECK(build_tcg2_event(5, kEvIpl, "abc", EventText::utf16le, w.data(), w.size(), size) == want);
        CHECK(size == (fits ? w.size() : 0));
        CHECK(build_tcg2_event_ucs2(5, kEvIpl, units, 3, u.data(), u.size(), size) == want);
        CHECK(size == (fits ? u.size() : 0));
        if (!fits) {
            CHECK(untouched(a));
            CHECK(untouched(w));
            CHECK(untouched(u));
        }
    }
}

TEST_CASE("tpm event: a null output buffer is too small") {
    size_t size = 5;
    CHECK(build_tcg2_event(5, kEvIpl, "x", EventText::ascii, nullptr, 100, size) == Tcg2EventStatus::buffer_too_small);
    CHECK(size == 0);
    const uint16_t units[] = {u'x'};
    CHECK(build_tcg2_event_ucs2(5, kEvIpl, units, 1, nullptr, 100, size) == Tcg2EventStatus::buffer_too_small);
}

TEST_CASE("tpm event: the longest description fits in kMaxTcg2EventBytes, one more character is too long") {
    std::string longest(kMaxEventDescriptionChars - 1, 'x');
    std::string too_long(kMaxEventDescriptionChars, 'x');
    std::vector<uint16_t> longest16(kMaxEventDescriptionChars - 1, u'x');
    std::vector<uint16_t> too_long16(kMaxEventDescriptionChars, u'x');
    auto out = filled(kMaxTcg2EventBytes + 16);
    size_t size = 0;

    REQUIRE(build_tcg2_event(9, kEvIpl, longest.c_str(), EventText::utf16le, out.data(), kMaxTcg2EventBytes, size) ==
            Tcg2EventStatus::ok);
    CHECK(size == kMaxTcg2EventBytes);
    CHECK(out[kMaxTcg2EventBytes - 2] == 0);
    CHECK(out[kMaxTcg2EventBytes - 1] == 0);
    CHECK(out[kMaxTcg2EventBytes] == kFill);
    REQUIRE(build_tcg2_event(9, kEvIpl, longest.c_str(), EventText::ascii, out.data(), kMaxTcg2EventBytes, size) ==
            Tcg2EventStatus::ok);
    CHECK(size == kTcg2EventFixedBytes + kMaxEventDescriptionChars);
    REQUIRE(build_tcg2_event_ucs2(9, kEvIpl, longest16.data(), longest16.size(), out.data(), kMaxTcg2EventBytes,
                                  size) == Tcg2EventStatus::ok);
    CHECK(size == kMaxTcg2EventBytes);

    auto fresh = filled(kMaxTcg2EventBytes * 2);
    for (EventText t : {EventText::ascii, EventText::utf16le}) {
        CHECK(build_tcg2_event(9, kEvIpl, too_long.c_str(), t, fresh.data(), fresh.size(), size) ==
              Tcg2EventStatus::description_too_long);
        CHECK(size == 0);
    }
    CHECK(build_tcg2_event_ucs2(9, kEvIpl, too_long16.data(), too_long16.size(), fresh.data(), fresh.size(), size) ==
          Tcg2EventStatus::description_too_long);
    CHECK(size == 0);
    CHECK(untouched(fresh));
}

TEST_CASE("tpm event: a description that is not printable ASCII is refused") {
    auto out = filled(64);
    size_t size = 3;
    // UTF-8 (e-acute), a control character, DEL, a high byte.
    for (const char* bad : {"caf\xc3\xa9", "a\x1b", "a\x7f", "\xff"}) {
        INFO(bad);
        for (EventText t : {EventText::ascii, EventText::utf16le}) {
            CHECK(build_tcg2_event(9, kEvIpl, bad, t, out.data(), out.size(), size) == Tcg2EventStatus::bad_description);
            CHECK(size == 0);
        }
    }
    CHECK(build_tcg2_event(9, kEvIpl, nullptr, EventText::ascii, out.data(), out.size(), size) ==
          Tcg2EventStatus::bad_description);
    CHECK(build_tcg2_event_ucs2(9, kEvIpl, nullptr, 2, out.data(), out.size(), size) ==
          Tcg2EventStatus::bad_description);
    CHECK(untouched(out));
    // A tab is text (wdboot.conf allows it).
    CHECK(build_tcg2_event(9, kEvIpl, "a\tb", EventText::ascii, out.data(), out.size(), size) == Tcg2EventStatus::ok);
    CHECK(size == 22);
}

TEST_CASE("tpm event: PCR 23 is the last index, 24 is refused") {
    auto out = filled(32);
    size_t size = 0;
    REQUIRE(build_tcg2_event(23, kEvIpl, "x", EventText::ascii, out.data(), out.size(), size) == Tcg2EventStatus::ok);
    CHECK(out[10] == 23);
    auto fresh = filled(32);
    const uint16_t units[] = {u'x'};
    CHECK(build_tcg2_event(24, kEvIpl, "x", EventText::ascii, fresh.data(), fresh.size(), size) ==
          Tcg2EventStatus::bad_pcr_index);
    CHECK(size == 0);
    CHECK(build_tcg2_event_ucs2(0xFFFFFFFFu, kEvIpl, units, 1, fresh.data(), fresh.size(), size) ==
          Tcg2EventStatus::bad_pcr_index);
    CHECK(untouched(fresh));
}

TEST_CASE("tpm event: every status has its own name") {
    const Tcg2EventStatus all[] = {Tcg2EventStatus::ok, Tcg2EventStatus::buffer_too_small,
                                   Tcg2EventStatus::description_too_long, Tcg2EventStatus::bad_description,
                                   Tcg2EventStatus::bad_pcr_index};
    for (size_t i = 0; i < std::size(all); ++i) {
        std::string a = to_string(all[i]);
        CHECK(a != "unknown TCG2 event status");
        for (size_t k = 0; k < i; ++k) CHECK(a != to_string(all[k]));
    }
    CHECK(std::string(to_string(static_cast<Tcg2EventStatus>(200))) == "unknown TCG2 event status");
}
