#include "wdboot/tpm_event.hpp"

#include "wdboot/little_endian.hpp"

namespace wdboot {

namespace {

// Checks the PCR and the room for `chars` description characters (NUL included) of
// `unit` bytes each; on success writes Size and the header and returns the offset of
// the event data.
Tcg2EventStatus begin_event(uint32_t pcr, uint32_t event_type, size_t chars, size_t unit, uint8_t* out, size_t cap,
                            size_t& size) {
    size = 0;
    if (pcr > kMaxPcrIndex) return Tcg2EventStatus::bad_pcr_index;
    if (chars > kMaxEventDescriptionChars) return Tcg2EventStatus::description_too_long;
    size_t total = kTcg2EventFixedBytes + chars * unit;
    if (out == nullptr || cap < total) return Tcg2EventStatus::buffer_too_small;
    put_le32(out, static_cast<uint32_t>(total));
    put_le32(out + 4, kTcg2EventHeaderSize);
    put_le16(out + 8, kTcg2EventHeaderVersion);
    put_le32(out + 10, pcr);
    put_le32(out + 14, event_type);
    size = total;
    return Tcg2EventStatus::ok;
}

}  // namespace

const char* to_string(Tcg2EventStatus s) {
    switch (s) {
        case Tcg2EventStatus::ok: return "ok";
        case Tcg2EventStatus::buffer_too_small: return "event buffer too small";
        case Tcg2EventStatus::description_too_long: return "event description too long";
        case Tcg2EventStatus::bad_description: return "event description is not printable ASCII";
        case Tcg2EventStatus::bad_pcr_index: return "PCR index above 23";
    }
    return "unknown TCG2 event status";
}

Tcg2EventStatus build_tcg2_event(uint32_t pcr, uint32_t event_type, const char* description, EventText text,
                                 uint8_t* out, size_t cap, size_t& size) {
    size = 0;
    if (description == nullptr) return Tcg2EventStatus::bad_description;
    // Count first (bounded, so a missing NUL cannot run far), then write: on any error
    // the caller's buffer is untouched.
    size_t len = 0;
    while (description[len] != '\0') {
        auto c = static_cast<unsigned char>(description[len]);
        // Printable ASCII only: widening a UTF-8 byte to a UTF-16 unit would log a
        // different character than the file holds.
        if ((c < 0x20 && c != '\t') || c > 0x7E) return Tcg2EventStatus::bad_description;
        if (++len >= kMaxEventDescriptionChars) return Tcg2EventStatus::description_too_long;
    }
    size_t unit = text == EventText::utf16le ? 2 : 1;
    Tcg2EventStatus s = begin_event(pcr, event_type, len + 1, unit, out, cap, size);
    if (s != Tcg2EventStatus::ok) return s;
    uint8_t* data = out + kTcg2EventFixedBytes;
    for (size_t i = 0; i <= len; ++i) {
        auto c = static_cast<uint8_t>(description[i]);  // i == len: the NUL
        if (unit == 2) {
            data[2 * i] = c;
            data[2 * i + 1] = 0;
        } else {
            data[i] = c;
        }
    }
    return Tcg2EventStatus::ok;
}

Tcg2EventStatus build_tcg2_event_ucs2(uint32_t pcr, uint32_t event_type, const uint16_t* units, size_t count,
                                      uint8_t* out, size_t cap, size_t& size) {
    size = 0;
    if (units == nullptr && count != 0) return Tcg2EventStatus::bad_description;
    size_t len = 0;
    while (len < count && units[len] != 0) ++len;
    if (len >= kMaxEventDescriptionChars) return Tcg2EventStatus::description_too_long;
    Tcg2EventStatus s = begin_event(pcr, event_type, len + 1, 2, out, cap, size);
    if (s != Tcg2EventStatus::ok) return s;
    uint8_t* data = out + kTcg2EventFixedBytes;
    for (size_t i = 0; i < len; ++i) put_le16(data + 2 * i, units[i]);
    put_le16(data + 2 * len, 0);
    return Tcg2EventStatus::ok;
}

}  // namespace wdboot
