// wdtest-state: the QEMU tests' hands inside the guest. Runs in the busybox initramfs
// (static binary) and prints machine-readable lines on the serial console that the host
// harness (qemu/wdqemu) parses:
//   dump                      WDTEST-COPY per variable (raw status + decoded JSON),
//                             WDTEST-STATE for the state the core's load_state() picks
//   bless                     bless the attempt in progress through the core
//   try SLOT [TRIES]          request a one-shot trial through the core
//   corrupt A|B|new|old KIND  damage one copy: garbage, short, crc, delete
//   watchdog                  WDTEST-WATCHDOG: is the i6300esb still enabled?
// Tests only: the product's agent is src/agent (wdbootctl). The variables are read and
// written by the agent's own efivarfs code (src/agent/efivarfs.cpp), so the guest tests
// exercise the one set of efivarfs write rules the product has.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "efivarfs.hpp"
#include "wdboot/boot_record.hpp"
#include "wdboot/slot_policy.hpp"
#include "wdboot/state_store.hpp"

namespace {

using namespace wdboot;
using agent::Efivarfs;
using agent::EfivarfsStore;

// The real efivarfs, as the agent opens it.
agent::IoctlFileFlags file_flags;
agent::StatvfsMountProbe mounts;
Efivarfs& efivars() {
    static Efivarfs vars(agent::kDefaultEfivarfsRoot, file_flags, mounts);
    return vars;
}

// Writes a whole variable with NV|BS|RT through the agent's writer (immutable flag
// cleared and restored, attributes and data in one write()).
Status write_variable(const char* name, const uint8_t* data, size_t len) {
    Status st = efivars().write(name, agent::kAttrNvBsRt, data, len);
    if (st != Status::ok) fprintf(stderr, "wdtest: %s\n", efivars().last_error().c_str());
    return st;
}

// Deletes a variable. Absent counts as done.
Status delete_variable(const char* name) {
    Status st = efivars().remove(name);
    return st == Status::not_found ? Status::ok : st;
}

void print_json(const BootState& s) {
    printf("{\"generation\":%u,\"last_boot_id\":%u,\"attempt_slot\":%d,\"attempt_boot_id\":%u,"
           "\"trial_slot\":%d,\"last_good_slot\":%d,\"default_slot\":%d,\"slots\":[",
           s.generation, s.last_boot_id, s.attempt_slot == kNoSlot ? -1 : s.attempt_slot,
           s.attempt_boot_id, s.trial_slot == kNoSlot ? -1 : s.trial_slot,
           s.last_good_slot == kNoSlot ? -1 : s.last_good_slot,
           s.default_slot == kNoSlot ? -1 : s.default_slot);
    bool first = true;
    for (size_t i = 0; i < kMaxSlots; ++i) {
        const SlotState& sl = s.slots[i];
        if (!sl.used()) continue;
        printf("%s{\"index\":%zu,\"name\":\"%.*s\",\"tries_left\":%u,\"max_tries\":%u,\"good\":%s,"
               "\"bad\":%s,\"trial\":%s,\"failures\":%u,\"last_outcome\":\"%s\",\"boots\":%u}",
               first ? "" : ",", i, static_cast<int>(kSlotNameBytes), sl.name, sl.tries_left,
               sl.max_tries, sl.has(kSlotGood) ? "true" : "false",
               sl.has(kSlotBad) ? "true" : "false", sl.has(kSlotTrial) ? "true" : "false",
               sl.consecutive_failures, to_string(sl.last_outcome), sl.boots);
        first = false;
    }
    printf("],\"journal\":[");
    for (size_t i = 0; i < s.journal_count; ++i) {
        const JournalEntry& e = s.journal_newest(i);
        printf("%s{\"boot_id\":%u,\"slot\":%d,\"event\":\"%s\",\"cause\":\"%s\",\"detail\":%u}",
               i == 0 ? "" : ",", e.boot_id, e.slot == kNoSlot ? -1 : e.slot, to_string(e.event),
               to_string(e.cause), e.detail);
    }
    printf("]}");
}

// Every line is one JSON object after its tag, so the host can parse it whole.
int cmd_dump() {
    for (int c = 0; c < 2; ++c) {
        uint8_t buf[4096];
        size_t len = 0;
        EfivarfsStore store(efivars());
        Status st = store.read(static_cast<Copy>(c), buf, sizeof buf, len);
        printf("WDTEST-COPY {\"copy\":\"%c\",\"read\":\"%s\"", "AB"[c], to_string(st));
        if (st == Status::ok) {
            BootState s = BootState::empty();
            Status d = decode_record(buf, len, s);
            printf(",\"len\":%zu,\"decode\":\"%s\"", len, to_string(d));
            if (d == Status::ok) {
                printf(",\"state\":");
                print_json(s);
            }
        }
        printf("}\n");
    }
    EfivarfsStore store(efivars());
    LoadedState loaded = load_state(store);
    printf("WDTEST-STATE {\"from_copy\":%s,\"source\":\"%c\",\"created\":%s,\"corrupt\":%s,"
           "\"corrupt_mask\":%u,\"read_only\":%s,\"state\":",
           loaded.from_copy ? "true" : "false", loaded.source == Copy::a ? 'A' : 'B',
           loaded.created ? "true" : "false", loaded.corrupt ? "true" : "false",
           loaded.corrupt_mask, loaded.read_only ? "true" : "false");
    print_json(loaded.state);
    printf("}\n");
    return 0;
}

uint64_t now_seconds() { return static_cast<uint64_t>(time(nullptr)); }

int save(EfivarfsStore& store, LoadedState& loaded, const BootState& next, const char* what) {
    bool wrote = false;
    Status st = save_state(store, loaded, next, &wrote);
    printf("WDTEST-%s wrote=%d status=%s\n", what, wrote ? 1 : 0, to_string(st));
    return st == Status::ok ? 0 : 1;
}

int cmd_bless() {
    EfivarfsStore store(efivars());
    LoadedState loaded = load_state(store);
    BootState next = loaded.state;
    Status st = bless(next, loaded.state.attempt_boot_id, now_seconds());
    if (st != Status::ok) {
        printf("WDTEST-BLESS wrote=0 status=%s\n", to_string(st));
        return 1;
    }
    return save(store, loaded, next, "BLESS");
}

int cmd_try(const char* name, int tries) {
    EfivarfsStore store(efivars());
    LoadedState loaded = load_state(store);
    BootState next = loaded.state;
    uint8_t slot = next.find_slot(name);
    Status st = request_trial(next, slot, static_cast<uint8_t>(tries), now_seconds());
    if (st != Status::ok) {
        printf("WDTEST-TRY wrote=0 status=%s\n", to_string(st));
        return 1;
    }
    return save(store, loaded, next, "TRY");
}

// copy: A, B, new (the copy load_state picks now) or old (the other one).
int cmd_corrupt(const char* copy, const char* kind) {
    int index = copy[0] == 'B' ? 1 : 0;
    if (strcmp(copy, "new") == 0 || strcmp(copy, "old") == 0) {
        EfivarfsStore store(efivars());
        LoadedState loaded = load_state(store);
        int newest = loaded.source == Copy::b ? 1 : 0;
        index = copy[0] == 'n' ? newest : 1 - newest;
    }
    const char* name = kCopyNames[index];
    uint8_t buf[kRecordSize];
    Status st = Status::ok;
    if (strcmp(kind, "delete") == 0) {
        st = delete_variable(name);
    } else if (strcmp(kind, "garbage") == 0) {
        // Deterministic noise without our magic.
        uint32_t x = 0x2545F491u;
        for (auto& b : buf) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b = static_cast<uint8_t>(x);
        }
        st = write_variable(name, buf, sizeof buf);
    } else if (strcmp(kind, "short") == 0 || strcmp(kind, "crc") == 0) {
        // Start from a well-formed record of the current state so that only the
        // intended damage makes it invalid.
        EfivarfsStore store(efivars());
        LoadedState loaded = load_state(store);
        BootState s = loaded.state;
        s.generation += 1;
        encode_record(s, buf);
        if (kind[0] == 's') {
            st = write_variable(name, buf, 100);
        } else {
            buf[kSlotsOffset] ^= 0x01;  // first slot's name: CRC no longer matches
            st = write_variable(name, buf, sizeof buf);
        }
    } else {
        fprintf(stderr, "wdtest-state: unknown corruption %s\n", kind);
        return 2;
    }
    printf("WDTEST-CORRUPT copy=%c kind=%s status=%s\n", name[11], kind, to_string(st));
    return st == Status::ok ? 0 : 1;
}

// The i6300esb's enable bit lives in PCI config byte 0x68 (bit 1; bit 0 is the lock).
int cmd_watchdog() {
    DIR* d = opendir("/sys/bus/pci/devices");
    if (d == nullptr) {
        printf("WDTEST-WATCHDOG device=none\n");
        return 1;
    }
    int found = 0;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char path[512];
        char id[32] = {};
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/device", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue;
        ssize_t n = read(fd, id, sizeof id - 1);
        close(fd);
        if (n <= 0 || strncmp(id, "0x25ab", 6) != 0) continue;
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/config", e->d_name);
        fd = open(path, O_RDONLY);
        uint8_t cfg = 0;
        if (fd >= 0 && pread(fd, &cfg, 1, 0x68) == 1) {
            printf("WDTEST-WATCHDOG device=%s enabled=%d locked=%d\n", e->d_name, (cfg >> 1) & 1,
                   cfg & 1);
            found = 1;
        }
        if (fd >= 0) close(fd);
    }
    closedir(d);
    if (!found) printf("WDTEST-WATCHDOG device=none\n");
    return found ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "dump") == 0) return cmd_dump();
    if (argc >= 2 && strcmp(argv[1], "bless") == 0) return cmd_bless();
    if (argc >= 3 && strcmp(argv[1], "try") == 0) return cmd_try(argv[2], argc >= 4 ? atoi(argv[3]) : 1);
    if (argc >= 4 && strcmp(argv[1], "corrupt") == 0) return cmd_corrupt(argv[2], argv[3]);
    if (argc >= 2 && strcmp(argv[1], "watchdog") == 0) return cmd_watchdog();
    fprintf(stderr, "usage: wdtest-state dump|bless|try SLOT [TRIES]|corrupt A|B|new|old KIND|watchdog\n");
    return 2;
}
