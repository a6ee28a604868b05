"""``glassnet playground``: its one line, a refused --data file, and Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

COMMAND = [sys.executable, "-m", "glassnet", "playground", "--no-browser", "--port", "0"]


def test_a_refused_data_file_exits_2_with_the_clis_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,2,0\n3,4\n")
    done = subprocess.run([*COMMAND, "--data", str(bad), "--target", "y"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"glassnet playground: error: {bad}, line 3: 2 fields, but the "
                           "header has 3 ('a', 'b', 'y').\n")


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process needs POSIX signals")
def test_prints_its_address_and_stops_cleanly_on_sigint():
    # As from a terminal: a suite started in the background (`make test &`) ignores SIGINT, and a
    # child that inherits that ignores Ctrl-C too, which is the shell's doing, not the server's.
    process = subprocess.Popen(COMMAND, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=default_sigint)
    try:
        line = process.stdout.readline()
        assert re.fullmatch(r"Playground at http://127\.0\.0\.1:(\d+)/\n", line), line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert out == "" and err == ""


def test_data_without_target_is_bad_usage(tmp_path):
    from glassnet.cli import main

    assert main(["playground", "--no-browser", "--data", str(tmp_path / "x.csv")]) == 2


def test_playground_is_listed_after_export():
    from glassnet.cli import command_names

    names = command_names()
    assert names.index("playground") == names.index("export") + 1


def test_import_glassnet_does_not_load_the_playground():
    code = "import sys, glassnet; print('glassnet.playground' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "False"
