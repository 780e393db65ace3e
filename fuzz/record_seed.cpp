// Writes valid state records, made by encode_record(), as the record fuzzer's seed
// corpus (run at build time, so the seeds follow the format when it changes).
// Usage: record_seed OUTPUT_DIR
#include <cstdio>
#include <string>

#include "wdboot/boot_record.hpp"

using namespace wdboot;

namespace {

bool write_seed(const std::string& dir, const char* name, const BootState& st) {
    uint8_t bytes[kRecordSize];
    encode_record(st, bytes);
    BootState check = BootState::empty();
    if (decode_record(bytes, sizeof(bytes), check) != Status::ok) {
        std::fprintf(stderr, "record_seed: %s does not decode\n", name);
        return false;
    }
    std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        std::perror(path.c_str());
        return false;
    }
    bool ok = std::fwrite(bytes, 1, sizeof(bytes), f) == sizeof(bytes);
    return std::fclose(f) == 0 && ok;
}

void name_slot(SlotState& s, const char* name) {
    for (size_t i = 0; name[i] != '\0' && i + 1 < kSlotNameBytes; ++i) s.name[i] = name[i];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: record_seed OUTPUT_DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    BootState empty = BootState::empty();

    BootState busy = BootState::empty();
    busy.generation = 41;
    busy.last_boot_id = 17;
    const char* names[] = {"primary", "fallback", "shell", "recovery"};
    for (size_t i = 0; i < 4; ++i) {
        SlotState& s = busy.slots[i];
        name_slot(s, names[i]);
        s.max_tries = 3;
        s.tries_left = static_cast<uint8_t>(3 - i % 3);
        s.boots = static_cast<uint32_t>(10 + i);
        s.last_boot_id = static_cast<uint32_t>(14 + i);
        s.last_outcome = static_cast<Outcome>(i + 1);
    }
    busy.slots[0].flags = kSlotGood;
    busy.slots[1].flags = kSlotTrial;
    busy.slots[2].flags = kSlotBad;
    busy.slots[2].consecutive_failures = 3;
    busy.attempt_slot = 0;
    busy.attempt_boot_id = 17;
    busy.trial_slot = 1;
    busy.last_good_slot = 0;
    busy.default_slot = 3;
    for (uint32_t i = 0; i < kJournalEntries + 3; ++i) {
        busy.journal_add(i + 1, static_cast<uint8_t>(i % 4), static_cast<Event>(1 + i % kEventMax),
                         static_cast<ResetCause>(i % (kResetCauseMax + 1)), static_cast<uint8_t>(i),
                         1764000000ull + i * 60);
    }

    BootState full = BootState::empty();
    full.generation = 0xFFFFFFFFu;
    for (size_t i = 0; i < kMaxSlots; ++i) {
        char name[3] = {'s', static_cast<char>('0' + i), '\0'};
        name_slot(full.slots[i], name);
        full.slots[i].max_tries = 100;
        full.slots[i].tries_left = 100;
    }
    full.last_good_slot = 7;

    bool ok = write_seed(dir, "empty.bin", empty) && write_seed(dir, "busy.bin", busy) &&
              write_seed(dir, "full.bin", full);
    return ok ? 0 : 1;
}
