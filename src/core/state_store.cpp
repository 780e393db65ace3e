// The two-copy rule. Why two variables and not one: SetVariable is not atomic on all
// firmware (a power cut can leave a variable truncated or absent), so the previous
// state must stay untouched while the new one is written.
#include "wdboot/state_store.hpp"

namespace wdboot {

bool is_pstore_record_name(const char* name) {
    if (name == nullptr) return false;
    for (size_t i = 0; kPstoreNamePrefix[i] != '\0'; ++i) {
        if (name[i] != kPstoreNamePrefix[i]) return false;
    }
    return true;
}

namespace {

// Serial-number comparison, so the generation may wrap without the older copy winning.
bool newer(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

struct ReadCopy {
    CopyStatus status;
    bool newer_major;
    BootState state;
};

ReadCopy read_copy(VariableStore& store, Copy copy) {
    ReadCopy r{};
    // One byte more than a record, so an oversized variable is seen as such.
    uint8_t buf[kRecordSize + 1];
    size_t len = 0;
    Status st = store.read(copy, buf, sizeof(buf), len);
    if (st == Status::not_found) {
        r.status = {false, Status::not_found, 0};
        return r;
    }
    r.status.present = true;
    if (st != Status::ok) {
        r.status.status = st;
        return r;
    }
    if (len > sizeof(buf)) len = sizeof(buf);
    r.newer_major = is_newer_record(buf, len);
    r.status.status = decode_record(buf, len, r.state);
    if (r.status.status == Status::ok) r.status.generation = r.state.generation;
    return r;
}

}  // namespace

Copy LoadedState::write_target() const {
    if (!from_copy) {
        // No valid copy: write A first, unless A is the one that holds a newer
        // record (read_only then prevents the write anyway).
        return Copy::a;
    }
    return source == Copy::a ? Copy::b : Copy::a;
}

LoadedState load_state(VariableStore& store) {
    LoadedState out{};
    out.state = BootState::empty();
    ReadCopy copies[2] = {read_copy(store, Copy::a), read_copy(store, Copy::b)};
    for (int i = 0; i < 2; ++i) {
        out.copies[i] = copies[i].status;
        if (copies[i].newer_major) out.read_only = true;
        if (copies[i].status.present && copies[i].status.status != Status::ok) {
            out.corrupt_mask = static_cast<uint8_t>(out.corrupt_mask | (1u << i));
        }
    }
    bool valid_a = copies[0].status.status == Status::ok;
    bool valid_b = copies[1].status.status == Status::ok;
    if (valid_a || valid_b) {
        bool pick_b = valid_b && (!valid_a || newer(copies[1].state.generation, copies[0].state.generation));
        out.from_copy = true;
        out.source = pick_b ? Copy::b : Copy::a;
        out.state = copies[pick_b ? 1 : 0].state;
    }
    // A copy that holds a newer wdboot's record is not "corrupt": it is foreign.
    uint8_t foreign = static_cast<uint8_t>((copies[0].newer_major ? 1u : 0u) | (copies[1].newer_major ? 2u : 0u));
    out.corrupt_mask = static_cast<uint8_t>(out.corrupt_mask & ~foreign);
    out.corrupt = out.corrupt_mask != 0;
    out.created = !copies[0].status.present && !copies[1].status.present;
    return out;
}

Status save_state(VariableStore& store, LoadedState& loaded, const BootState& next, bool* wrote) {
    if (wrote != nullptr) *wrote = false;
    if (loaded.read_only) return Status::read_only;

    BootState candidate = next;
    candidate.generation = loaded.state.generation;
    // Unchanged state after a clean load: nothing to write (saves NVRAM wear).
    if (loaded.from_copy && !loaded.corrupt && candidate == loaded.state) return Status::ok;

    candidate.generation = loaded.state.generation + 1;
    uint8_t bytes[kRecordSize];
    encode_record(candidate, bytes);
    Copy target = loaded.write_target();
    Status st = store.write(target, bytes, sizeof(bytes));
    if (st != Status::ok) return st;
    if (wrote != nullptr) *wrote = true;

    loaded.state = candidate;
    loaded.from_copy = true;
    loaded.source = target;
    loaded.created = false;
    int t = static_cast<int>(target);
    loaded.copies[t] = {true, Status::ok, candidate.generation};
    loaded.corrupt_mask = static_cast<uint8_t>(loaded.corrupt_mask & ~(1u << t));
    loaded.corrupt = loaded.corrupt_mask != 0;
    return Status::ok;
}

}  // namespace wdboot
