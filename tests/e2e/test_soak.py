"""Soak, short (docs/reliability.md; scripts/soak.sh runs the same for an hour): 45 s of a
churning mix replayed live with a registry reload every second. After a 15 s warm-up the
resident memory stays flat (least-squares slope under 60 MiB/h, never more than 4 MiB above
its first sample after warm-up),
every reload succeeds, flows are created, expire and are evicted throughout, the counters
reconcile exactly and every packet buffer is back in the pool at the end. Under
AddressSanitizer the RSS bounds are reported, not asserted (its quarantine holds freed memory)."""
import subprocess

from soak import soak, summary
from tundra_e2e import TUNDRA, Checks

c = Checks("e2e_soak", verbose=True)
r = soak(45, warmup=15)
st, fl = r["stats"], r["stats"]["flows"]
c.eq(r["exit"], 0, f"exit status ({r['stderr_tail']})")
c.check(r["reconciles"], "counters reconcile")
bad = [x for x in r["replies"] if not x.startswith("ok:")]
c.eq(bad, [], "every reload answered ok")
c.check(len(r["replies"]) >= 40, f"a reload every second ({len(r['replies'])})")
c.eq(st["control"]["reloads"], len(r["replies"]), "reloads counted by the engine")
c.eq(st["control"]["reload_failures"], 0, "no reload failed")
c.check(fl["created"] > 10 * fl["table_slots"], f"new flows throughout ({fl['created']} created)")
c.check(fl["expired"] > 0, f"flows idled out ({fl['expired']})")
c.check(sum(fl["evicted"].values()) > 0, f"flows evicted ({fl['evicted']})")
c.check(fl["reverdicts"] > 0, f"flows judged again after reloads ({fl['reverdicts']})")
c.eq(st["control"]["mbufs_in_use"], st["control"]["mbufs_in_use_start"], "every buffer back in the pool")
# AddressSanitizer keeps freed memory in quarantine (up to 256 MiB) before reusing it, so
# under it RSS climbs with every reload's freed registry: the bounds hold for real builds.
sanitized = "libasan" in subprocess.run(["ldd", TUNDRA], capture_output=True, text=True).stdout
if sanitized:
    print(f"RSS bounds not asserted under AddressSanitizer: min {r['rss_min_kib']}, max {r['rss_max_kib']} KiB, "
          f"slope {r['slope_mib_per_h']:.2f} MiB/h", flush=True)
c.check(sanitized or r["rss_max_kib"] - r["rss_first_kib"] < 4096,
        f"RSS grows less than 4 MiB after warm-up: first {r['rss_first_kib']}, "
        f"min {r['rss_min_kib']}, max {r['rss_max_kib']} KiB")
c.check(sanitized or r["slope_mib_per_h"] < 60, f"RSS slope after warm-up {r['slope_mib_per_h']:.2f} MiB/h")
print(summary(r), flush=True)
c.done()
