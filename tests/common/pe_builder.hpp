// Minimal PE32+ images for the tests of the PE inspection (src/core/pe_image.cpp): the
// unit tests and the agent's add-slot tests build UKIs, kernels and applications with it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "wdboot/pe_image.hpp"

namespace wdtest {

struct Section {
    std::string name;
    std::string data;
};

inline void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
}

// A minimal PE32+ image: DOS header, "PE\0\0" at 0x80, COFF header, a 240-byte optional
// header, the section table, then each section. In the file layout a section's bytes are
// at PointerToRawData (multiples of 0x200); in the loaded layout at its VirtualAddress
// (multiples of 0x1000), as LoadImage places them. `hdrs` puts the x86 boot protocol's
// "HdrS" at 0x202, as a Linux bzImage has.
inline std::vector<uint8_t> make_pe(const std::vector<Section>& sections, wdboot::PeLayout layout, bool hdrs = false) {
    constexpr size_t pe = 0x80, optional = 240;
    size_t table = pe + 24 + optional;
    size_t headers = 0x400;
    std::vector<uint8_t> b(headers, 0);
    b[0] = 'M';
    b[1] = 'Z';
    put32(b, 0x3C, pe);
    b[pe] = 'P';
    b[pe + 1] = 'E';
    put16(b, pe + 4, 0x8664);
    put16(b, pe + 6, static_cast<uint16_t>(sections.size()));
    put16(b, pe + 20, optional);
    put16(b, pe + 24, 0x20B);
    if (hdrs) std::memcpy(&b[0x202], "HdrS", 4);
    size_t raw = headers;
    for (size_t i = 0; i < sections.size(); ++i) {
        size_t h = table + 40 * i;
        std::memcpy(&b[h], sections[i].name.data(), std::min<size_t>(8, sections[i].name.size()));
        uint32_t va = static_cast<uint32_t>(0x1000 * (i + 1));
        uint32_t rawsize = static_cast<uint32_t>((sections[i].data.size() + 0x1FF) & ~size_t{0x1FF});
        put32(b, h + 8, static_cast<uint32_t>(sections[i].data.size()));
        put32(b, h + 12, va);
        put32(b, h + 16, rawsize);
        put32(b, h + 20, static_cast<uint32_t>(raw));
        size_t at = layout == wdboot::PeLayout::file ? raw : va;
        if (b.size() < at + rawsize) b.resize(at + rawsize, 0);
        std::memcpy(&b[at], sections[i].data.data(), sections[i].data.size());
        raw += rawsize;
    }
    return b;
}

}  // namespace wdtest
