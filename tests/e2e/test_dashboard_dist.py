"""dashboard/dist/ is what dashboard/src builds to: `npm run build` (tsc, then vite) into a
temporary directory must give the committed files byte for byte, so the embedded UI never lags
its sources (Vite's output is deterministic: same sources, same hashed names and bytes).
Skipped without dashboard/node_modules (scripts/install-deps.sh runs `npm ci`), except under
CI=true, where install-deps has run and a missing toolchain is a failure."""
import filecmp
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import SOURCE_DIR

UI = os.path.join(SOURCE_DIR, "dashboard")
DIST = os.path.join(UI, "dist")
VITE = os.path.join(UI, "node_modules", "vite")


def files_under(root):
    out = set()
    for base, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(base, n), root))
    return out


class DashboardDistTest(unittest.TestCase):
    def setUp(self):
        if os.path.isdir(VITE) and shutil.which("npm"):
            return
        why = ("dashboard/node_modules is missing (or npm is not installed): run `npm ci` in "
               "dashboard/ or scripts/install-deps.sh")
        if os.environ.get("CI") == "true":
            self.fail(why + " — under CI install-deps must have done it")
        self.skipTest(why)

    def test_committed_dist_matches_a_fresh_build_of_src(self):
        out = tempfile.mkdtemp(prefix="coyote-dist-")
        try:
            proc = subprocess.run(["npm", "run", "--silent", "build", "--", "--outDir", out,
                                   "--emptyOutDir", "--logLevel", "error"],
                                  cwd=UI, capture_output=True, timeout=300)
            self.assertEqual(proc.returncode, 0, (proc.stdout + proc.stderr).decode(errors="replace"))
            built, committed = files_under(out), files_under(DIST)
            fix = " — run `npm run build` in dashboard/ and commit dashboard/dist/"
            self.assertEqual(sorted(built - committed), [], "built but not committed" + fix)
            self.assertEqual(sorted(committed - built), [], "committed but not built (stale)" + fix)
            differ = [f for f in sorted(built)
                      if not filecmp.cmp(os.path.join(out, f), os.path.join(DIST, f), shallow=False)]
            self.assertEqual(differ, [], "differ from a fresh build" + fix)
        finally:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
