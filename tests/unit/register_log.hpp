// The access log shared by the register models (i6300esb_model.hpp, itco_model.hpp, ...):
// every read and write a driver makes, in order, so a test can assert the exact
// sequence of writes (the Fuchsia hwreg mock style) and check invariants over it.
#pragma once
#include <stdint.h>

#include <ostream>
#include <vector>

#include "wdboot/reg_io.hpp"

namespace wdboot::test {

struct Access {
    char window;  // which RegisterIo the driver used; each model names its windows
    bool write;
    uint8_t width;  // 8, 16 or 32
    uint32_t offset;
    uint32_t value;  // written, or returned to the driver

    bool operator==(const Access&) const = default;
};

// One named register window of a model: every access goes to the model's
// read(window, offset, width) / write(window, offset, width, value), which log it. The
// model befriends ModelWindow<Model> so those may stay private (itco_model.hpp,
// pch_tco_model.hpp).
template <typename Model>
class ModelWindow final : public RegisterIo {
public:
    ModelWindow(Model& m, char w) : m_(m), w_(w) {}
    uint8_t read8(uint32_t off) override { return static_cast<uint8_t>(m_.read(w_, off, 8)); }
    uint16_t read16(uint32_t off) override { return static_cast<uint16_t>(m_.read(w_, off, 16)); }
    uint32_t read32(uint32_t off) override { return m_.read(w_, off, 32); }
    void write8(uint32_t off, uint8_t v) override { m_.write(w_, off, 8, v); }
    void write16(uint32_t off, uint16_t v) override { m_.write(w_, off, 16, v); }
    void write32(uint32_t off, uint32_t v) override { m_.write(w_, off, 32, v); }

private:
    Model& m_;
    char w_;
};

inline Access wr(char window, uint8_t width, uint32_t offset, uint32_t value) {
    return {window, true, width, offset, value};
}

inline std::ostream& operator<<(std::ostream& os, const Access& a) {
    os << a.window << (a.write ? " write" : " read") << static_cast<int>(a.width) << " [0x" << std::hex
       << a.offset << "] = 0x" << a.value << std::dec;
    return os;
}

class RegisterLog {
public:
    void add(const Access& a) { all_.push_back(a); }
    void clear() { all_.clear(); }
    const std::vector<Access>& all() const { return all_; }

    std::vector<Access> writes() const {
        std::vector<Access> out;
        for (const Access& a : all_) {
            if (a.write) out.push_back(a);
        }
        return out;
    }

    std::vector<Access> writes(char window) const {
        std::vector<Access> out;
        for (const Access& a : all_) {
            if (a.write && a.window == window) out.push_back(a);
        }
        return out;
    }

private:
    std::vector<Access> all_;
};

}  // namespace wdboot::test
