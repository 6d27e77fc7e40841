"""The documentation that is made from the code says what the code says: docs/counters.md holds
exactly the table `tundra counters` prints, and `tundra --help` names every option the README's
option lists use."""
import os
import re
import subprocess

from tundra_e2e import SRC, TUNDRA, Checks

c = Checks("e2e_docs")
table = subprocess.run([TUNDRA, "counters"], capture_output=True, text=True, check=True).stdout
with open(os.path.join(SRC, "docs", "counters.md")) as f:
    doc = f.read()
c.check(doc.endswith(table), "docs/counters.md ends with the output of `tundra counters` (regenerate it)")
rows = [line for line in table.splitlines() if line.startswith("| `")]
c.check(len(rows) >= 30, f"the table lists the counters ({len(rows)} rows)")
helptext = subprocess.run([TUNDRA, "--help"], capture_output=True, text=True, check=True).stdout
with open(os.path.join(SRC, "README.md")) as f:
    readme = f.read()
for opt in sorted(set(re.findall(r"`[^`]*?(--[a-z][a-z-]+)", readme))):
    if opt in ("--no-huge", "--no-pci", "--vdev", "--no-shconf", "--lcores", "--in-memory", "--version", "--help"):
        continue  # EAL's, or the commands'
    c.check(opt in helptext, f"README option {opt} is in tundra --help")
c.done()
