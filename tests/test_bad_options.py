"""Bad options and environment as learners and teachers type them: one line naming what is wrong and the way out,
exit 2, never a traceback nor a hang."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import site
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, new_lab_name, run_cli

TIMEOUT = 60  # the longest case, an engine that never answers, gives up after 15 s


def case(name: str, args: list[str], what: str | tuple[str, ...], fix: str, env: dict | None = None,
         lab: bool = False):
    """One bad input: `what` (each of them) and `fix` are words the line must hold, '|' between words that would each
    do; {tmp}, {file}, {lab}, {busy}, {free} and {root} are filled in when it runs."""
    return pytest.param(args, env or {}, what, fix, id=name, marks=[pytest.mark.lab] if lab else [])


# An engine address given wrongly, each tried as DOCKER_HOST (with lab status) and as --engine (with doctor).
ENGINES = [
    ("refused", "tcp://127.0.0.1:1", "not running", "start it|point DOCKER_HOST"),
    ("no-socket", "unix:///nonexistent/docker.sock", "not running", "start it|point DOCKER_HOST"),
    ("unknown-scheme", "garbage://x", "not an engine URL", "write it as unix://"),
    ("no-address", "tcp://", "not an engine URL", "write it as unix://"),
    ("no-scheme", "localhost:2375", "not an engine URL", "write it as unix://"),
    ("bad-port", "tcp://127.0.0.1:docker", "not an engine URL", "write it as unix://"),
    # docker-py needs paramiko for ssh://: without it, said so; with it, port 1 refuses.
    ("ssh", "ssh://nobody@127.0.0.1:1", "ssh://nobody@127.0.0.1:1", "paramiko|DOCKER_HOST"),
    ("never-answers", "tcp://127.0.0.1:{busy}", "did not answer within", "firewall"),
]

CASES = [
    # Lab names: they prefix container names and name the progress file.
    case("lab-empty", ["lab", "status", "--lab", ""], "--lab '' is empty", "--lab alice"),
    case("lab-bad-characters", ["lab", "status", "--lab", "Bad Name!"], "'Bad Name!' cannot be a lab name",
         "--lab alice"),
    case("lab-too-long", ["lab", "up", "--lab", "l" * 100], "100 characters long", "--lab alice"),
    case("lab-a-path", ["progress", "--lab", "../../etc/cron.d/x"], "cannot be a lab name", "--lab alice"),
    case("lab-leading-dash", ["reset", "--all", "--lab=-rf"], "'-rf' cannot be a lab name", "--lab alice"),
    case("lab-bad-at-start", ["start", "--lab", "Bad Name!"], "cannot be a lab name", "--lab alice"),
    case("lab-bad-for-verify", ["verify", "--lab", "two words"], "cannot be a lab name", "--lab alice"),
    case("lab-empty-for-doctor", ["doctor", "--lab", ""], "is empty", "--lab alice"),
    case("env-lab-bad", ["lab", "status"], "CELERY_TUTOR_LAB='Bad Name!'", "unset it",
         env={"CELERY_TUTOR_LAB": "Bad Name!"}),
    case("env-lab-bad-progress", ["progress"], "CELERY_TUTOR_LAB='Bad Name!'", "unset it",
         env={"CELERY_TUTOR_LAB": "Bad Name!"}),
    case("env-lab-too-long-bare", [], "60 characters long", "unset it", env={"CELERY_TUTOR_LAB": "e" * 60}),
    case("lab-status-unknown", ["lab", "status", "--lab", "{lab}"], "no lab '{lab}' on this engine",
         "celery-tutor lab up --lab {lab}", lab=True),
    case("lab-name-as-file", ["lab", "down", "{lab}"], "takes no FILE", "celery-tutor lab down --lab {lab}"),
    case("lab-status-all", ["lab", "status", "--all"], "--all goes with lab down", "celery-tutor lab list"),
    case("lab-at-without-up", ["lab", "status", "--at", "1"], "--at goes with lab up", "celery-tutor lab up --at 1"),
    # The engine.
    *[case(f"docker-host-{name}", ["lab", "status"], (f"DOCKER_HOST={url}", what), fix, env={"DOCKER_HOST": url})
      for name, url, what, fix in ENGINES],
    *[case(f"engine-{name}", ["--engine", url, "doctor"], (f"--engine {url}", what), fix)
      for name, url, what, fix in ENGINES],
    case("engine-empty", ["--engine", "", "lab", "status"], "--engine is empty", "leave --engine out"),
    case("engine-empty-start", ["--engine", "", "start", "--lab", "{lab}"], "--engine is empty",
         "leave --engine out"),
    case("serve-engines-bad", ["serve", "--port", "{free}", "--engines", "garbage://x"], "garbage://x",
         "write it as unix://"),
    case("docker-tls-without-certificates", ["lab", "status"], "lacks the client certificates", "DOCKER_CERT_PATH",
         env={"DOCKER_HOST": "tcp://127.0.0.1:1", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "{tmp}/no-certs"}),
    # The lessons directory (unreadable ones: see the tests as nobody below).
    case("lessons-missing", ["--lessons", "{tmp}/nope", "lessons"], "no such directory", "leave --lessons out"),
    case("lessons-a-file", ["--lessons", "{file}", "lessons"], "is a file, not a directory", "leave --lessons out"),
    case("lessons-course-yaml", ["--lessons", "{root}/lessons/course.yaml", "lessons"], "is a file",
         "the folder that holds course.yaml"),
    case("lessons-not-a-course", ["--lessons", "{root}", "lessons"], "has no course.yaml",
         "the folder that holds course.yaml"),
    # Steps that are not in the course; the lab is not touched before they are refused.
    case("start-at-unknown", ["start", "--lab", "{lab}", "--at", "nope/step"], "no step 'nope/step'",
         "`celery-tutor lessons` lists the ids"),
    case("lab-up-at-unknown", ["lab", "up", "--lab", "{lab}", "--at", "nope/step"], "no step 'nope/step'",
         "`celery-tutor lessons` lists the ids"),
    case("lab-reset-at-unknown", ["lab", "reset", "--lab", "{lab}", "--at", "nope"], "no lesson 'nope'",
         "`celery-tutor lessons` lists the ids"),
    case("reset-unknown", ["reset", "nope/step"], "no step 'nope/step'", "`celery-tutor lessons` lists the ids"),
    case("reset-lesson-unknown", ["reset", "--lesson", "nope"], "no lesson 'nope'",
         "`celery-tutor lessons` lists the ids"),
    case("reset-nothing-said", ["reset"], "say what to forget", "--all"),
    case("verify-from-unknown", ["verify", "--lab", "{lab}", "--from", "nope/step"], "no step 'nope/step'",
         "`celery-tutor lessons` lists the ids"),
    case("verify-to-unknown", ["verify", "--lab", "{lab}", "--to", "99"], "no section '99'",
         "`celery-tutor lessons` lists the ids"),
    case("verify-backwards", ["verify", "--lab", "{lab}", "--from", "2", "--to", "1"], "comes before",
         "swap them: --from 1 --to 2"),
    # Numbers.
    case("doctor-labs-negative", ["doctor", "--labs", "-1"], "'-1' is not a number of labs", "1 or more"),
    case("doctor-labs-zero", ["doctor", "--labs", "0"], "'0' is not a number of labs", "1 or more"),
    case("doctor-labs-word", ["doctor", "--labs", "abc"], "'abc' is not a number of labs",
         "celery-tutor doctor --help"),
    case("serve-port-too-big", ["serve", "--port", "99999"], "'99999' is not a port", "from 1 to 65535"),
    case("serve-port-word", ["serve", "--port", "http"], "'http' is not a port", "from 1 to 65535"),
    case("serve-port-in-use", ["serve", "--port", "{busy}"], "cannot listen on 127.0.0.1:{busy}",
         "choose another port"),
    case("serve-host-elsewhere", ["serve", "--host", "203.0.113.7", "--port", "{free}"],
         "cannot listen on 203.0.113.7", "give --host an address of this machine"),
    # Kits.
    case("export-into-missing-dir", ["lab", "export", "{tmp}/no/such/dir/kit.tar.gz"], "no directory",
         "mkdir -p {tmp}/no/such/dir"),
    case("export-to-a-dir", ["lab", "export", "{tmp}"], "is a directory",
         "celery-tutor lab export {tmp}/celery-tutor-kit.tar.gz"),
    case("export-without-file", ["lab", "export"], "needs a FILE", "celery-tutor lab export celery-tutor-kit"),
    case("import-missing", ["lab", "import", "{tmp}/nope.tar.gz"], "no such kit file", "celery-tutor lab export"),
    case("import-a-dir", ["lab", "import", "{tmp}"], "is a directory, not a kit file", "celery-tutor lab export"),
    # The progress directory.
    case("state-dir-a-file-progress", ["progress"], "is a file, not a directory", "point CELERY_TUTOR_STATE_DIR",
         env={"CELERY_TUTOR_STATE_DIR": "{file}"}),
    case("state-dir-a-file-reset", ["reset", "--all"], "is a file, not a directory", "point CELERY_TUTOR_STATE_DIR",
         env={"CELERY_TUTOR_STATE_DIR": "{file}"}),
    case("state-dir-a-file-start", ["start", "--lab", "{lab}"], "is a file, not a directory",
         "point CELERY_TUTOR_STATE_DIR", env={"CELERY_TUTOR_STATE_DIR": "{file}"}),
    case("state-dir-under-a-file", ["reset", "--all"], "{file} is a file", "point CELERY_TUTOR_STATE_DIR",
         env={"CELERY_TUTOR_STATE_DIR": "{file}/state"}),
    # argparse's own errors, in the same one line.
    case("unknown-command", ["frobnicate"], "invalid choice: 'frobnicate'", "`celery-tutor --help`"),
    case("unknown-lab-action", ["lab", "frob"], "invalid choice: 'frob'", "`celery-tutor lab --help`"),
    case("option-without-value", ["lab", "up", "--lab"], "--lab: expected one argument",
         "`celery-tutor lab --help`"),
    case("unknown-option", ["lessons", "--frob"], "unrecognized arguments: --frob", "`celery-tutor --help`"),
]


def assert_one_line(result, what: str | tuple[str, ...], fix: str) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:], result.stdout[-2000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"not one line: {result.stderr!r}"
    for wrong in [what] if isinstance(what, str) else what:
        assert any(words in lines[0] for words in wrong.split("|")), f"does not say what is wrong ({wrong}): {lines[0]}"
    assert any(words in lines[0] for words in fix.split("|")), f"does not say the way out ({fix}): {lines[0]}"


@pytest.fixture
def places(tmp_path):
    """The values the cases' placeholders stand for; `busy` is a port that takes connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    (tmp_path / "a-file").write_text("not a directory\n")
    yield {"tmp": str(tmp_path), "file": str(tmp_path / "a-file"), "lab": new_lab_name(), "root": str(ROOT),
           "busy": str(listener.getsockname()[1]), "free": str(free)}
    listener.close()


def _filled(places, args, env, what, fix):
    """A case with its placeholders filled in, and the progress directory of the test's own."""
    args = [arg.format_map(places) for arg in args]
    env = {"CELERY_TUTOR_STATE_DIR": f"{places['tmp']}/state",
           **{key: value.format_map(places) for key, value in env.items()}}
    what = what.format_map(places) if isinstance(what, str) else tuple(words.format_map(places) for words in what)
    return args, env, what, fix.format_map(places)


@pytest.mark.parametrize("args, env, what, fix", CASES)
def test_bad_option_is_one_line_with_the_way_out(request, monkeypatch, cli, places, args, env, what, fix):
    args, env, what, fix = _filled(places, args, env, what, fix)
    if not request.node.get_closest_marker("lab"):
        # Only the engine that never answers waits for it: given up on after 1 s instead of 15, it proves the same
        # one line (the cases marked lab talk to the real engine, with the real time).
        monkeypatch.setattr("celery_tutor.lab.docker_engine.REACH_TIMEOUT", 1)
    try:
        result = cli(*args, env=env, timeout=TIMEOUT)
    finally:
        if places["lab"] in args:  # had a case got past its check, whatever it made goes
            cli("lab", "down", "--lab", places["lab"], timeout=120)
    assert_one_line(result, what, fix)
    assert not Path(places["tmp"], "state").exists(), "a refused command saved progress"


# The same line from a process of its own, as the console script gives it: argparse's exit, the lab's error and a
# usage error each reach the terminal through `python -m celery_tutor` and its SystemExit.
IN_A_PROCESS = ["unknown-command", "docker-host-refused", "reset-nothing-said"]


@pytest.mark.parametrize("args, env, what, fix", [case for case in CASES if case.id in IN_A_PROCESS])
def test_bad_option_from_a_process_of_its_own(places, args, env, what, fix):
    args, env, what, fix = _filled(places, args, env, what, fix)
    assert_one_line(run_cli(*args, env=env, timeout=TIMEOUT), what, fix)
    assert not Path(places["tmp"], "state").exists(), "a refused command saved progress"


@pytest.mark.lab
def test_down_of_a_missing_lab_succeeds_and_says_so():
    # `lab down` is idempotent, as `docker compose down` is: a teacher's cleanup script, or a second run of it,
    # must not fail because the lab is already gone; saying so still shows up a mistyped name.
    name = new_lab_name()
    result = run_cli("lab", "down", "--lab", name)
    assert result.returncode == 0, result.stderr
    assert f"no lab '{name}' on this engine, nothing to remove" in result.stdout
    assert "celery-tutor lab list" in result.stdout
    assert result.stderr == ""


# --- as a user who is not root: root reads every file whatever its mode, and may use the Docker socket ------------

NOBODY = "nobody"


@pytest.fixture(scope="module")
def as_nobody():
    """Runs the command line as `nobody`, with the interpreter and the sources made reachable for it if they are
    not (pyenv under /root is not); skips, saying why, where that cannot be done."""
    if os.geteuid() != 0:
        pytest.skip("becoming nobody needs root")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("no runuser to become nobody with")
    try:
        nobody = pwd.getpwnam(NOBODY)
    except KeyError:
        pytest.skip("no user nobody")
    base = Path(tempfile.mkdtemp(prefix="celery-tutor-nobody-"))
    base.chmod(0o755)
    home = base / "home"
    home.mkdir()
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "COLUMNS": "120",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
    python = sys.executable

    def run(argv, extra_env=None):
        settings = [f"{key}={value}" for key, value in {**env, **(extra_env or {})}.items()]
        return subprocess.run([runuser, "-u", NOBODY, "--", "env", "-i", *settings, python, *argv],
                              capture_output=True, text=True, timeout=TIMEOUT, cwd=base)

    def reachable(path: str) -> bool:
        return run(["-c", f"import os, sys; sys.exit(0 if os.access({path!r}, os.R_OK | os.X_OK) else 1)"]
                   ).returncode == 0

    def linked(path: str, name: str, leave_out: tuple[str, ...] = ()) -> str:
        """A copy of hard links: no bytes copied, only paths nobody can walk (the files themselves are 644)."""
        left_out = {os.path.join(path, part) for part in leave_out}
        shutil.copytree(path, base / name, symlinks=True, copy_function=os.link,
                        ignore=lambda folder, names: [n for n in names if os.path.join(folder, n) in left_out])
        return str(base / name)

    try:
        if run(["-c", "pass"]).returncode != 0:
            # A virtual environment's python is a link to the base interpreter: that one, if nobody can run it; if
            # not (pyenv under /root), a copy of the base installation.
            python = os.path.realpath(sys.executable)
            if run(["-c", "pass"]).returncode != 0:
                stdlib = f"lib/python{sys.version_info.major}.{sys.version_info.minor}"
                # Without the base's own packages when a virtual environment brings its own (most of the files).
                unused = (f"{stdlib}/test", *([f"{stdlib}/site-packages"] if sys.prefix != sys.base_prefix else []))
                copy = Path(linked(sys.base_prefix, "python", unused))
                python = str(copy / Path(python).relative_to(sys.base_prefix))
                env["LD_LIBRARY_PATH"] = str(copy / "lib")  # a shared libpython is found by an absolute RUNPATH
        packages = []
        if sys.prefix != sys.base_prefix:
            # In a virtual environment (.ci/run makes one) the packages are given by path, linked where nobody can
            # reach them: the interpreter nobody runs may be the base one, which does not know the environment.
            packages = [path if reachable(path) else linked(path, f"site-packages-{index}")
                        for index, path in enumerate(site.getsitepackages())]
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *packages])
        if run(["-c", "import celery_tutor.cli"]).returncode != 0:
            sources = base / "src"
            for part in ("celery_tutor", "lessons", "assets"):
                shutil.copytree(ROOT / part, sources / part, ignore=shutil.ignore_patterns("__pycache__"))
            env["PYTHONPATH"] = os.pathsep.join([str(sources), *packages])
        probe = run(["-c", "import celery_tutor.cli, docker"])
    except (subprocess.CalledProcessError, ValueError, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"cannot give nobody this Python and celery-tutor: {exc}")
    if probe.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"nobody cannot run this Python and celery-tutor: {probe.stderr.strip()[-300:]}")

    def cli(*args: str, extra_env: dict | None = None):
        return run(["-m", "celery_tutor", *args], extra_env)

    cli.base = base
    yield cli
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def closed_places(as_nobody):
    """Files and directories of root's that nobody may not read or write."""
    base = as_nobody.base
    places = {}
    closed = base / "closed"  # mode 700: nobody cannot even look inside
    shutil.copytree(ROOT / "lessons", closed / "lessons")
    closed.chmod(0o700)
    places["behind_closed"] = closed / "lessons"
    locked = base / "locked"
    shutil.copytree(ROOT / "lessons", locked)
    locked.chmod(0o700)
    places["locked"] = locked
    one_locked = base / "one-locked"
    shutil.copytree(ROOT / "lessons", one_locked)
    for path in [one_locked, *one_locked.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    secret = sorted(one_locked.glob("*.md"))[1]
    secret.chmod(0o600)
    places["one_locked"], places["secret_lesson"] = one_locked, secret
    roots = base / "roots"  # readable, not writable
    roots.mkdir(mode=0o755)
    kit = roots / "kit.tar.gz"
    kit.write_bytes(b"not for nobody\n")
    kit.chmod(0o600)
    places["roots"], places["kit"] = roots, kit
    return places


def _socket_open_to_nobody() -> str:
    """Why nobody could use the local Docker socket anyway, or ''."""
    try:
        info = os.stat("/var/run/docker.sock")
    except OSError:
        return "no local Docker socket"
    if info.st_mode & stat.S_IWOTH:
        return "the Docker socket is writable by everyone"
    group = grp.getgrgid(info.st_gid)
    if NOBODY in group.gr_mem or pwd.getpwnam(NOBODY).pw_gid == info.st_gid:
        return f"nobody is in the socket's group {group.gr_name}"
    return ""


@pytest.mark.parametrize("args", [["lab", "status"], ["doctor"]], ids=["lab-status", "doctor"])
def test_a_socket_this_user_may_not_use_is_one_line_with_the_fix(as_nobody, args):
    why = _socket_open_to_nobody()
    if why:
        pytest.skip(why)
    result = as_nobody(*args)
    assert_one_line(result, "permission denied on the local Docker socket", "docker group")
    assert "sudo usermod -aG docker $USER" in result.stderr and "rootless" in result.stderr


NOBODY_CASES = [
    ("lessons-behind-a-closed-directory", ["--lessons", "{behind_closed}", "lessons"], {},
     "cannot reach it (Permission denied)", "copy the lessons somewhere you can read"),
    ("lessons-directory-unreadable", ["--lessons", "{locked}", "lessons"], {},
     "cannot read the lessons directory (Permission denied)", "chmod -R a+rX {locked}"),
    ("lessons-directory-unreadable-verify", ["--lessons", "{locked}", "verify"], {},
     "cannot read the lessons directory", "chmod -R a+rX {locked}"),
    ("lesson-file-unreadable", ["--lessons", "{one_locked}", "lessons"], {},
     "{secret_lesson}:1: cannot read the file (Permission denied)", "chmod a+r {secret_lesson}"),
    ("state-dir-not-writable", ["reset", "--all"], {"CELERY_TUTOR_STATE_DIR": "{roots}/state"},
     "{roots} is not writable by you", "point CELERY_TUTOR_STATE_DIR"),
    ("kit-unreadable", ["lab", "import", "{kit}"], {}, "cannot read the kit {kit}", "chmod a+r {kit}"),
    ("export-into-unwritable-dir", ["lab", "export", "{roots}/kit-2.tar.gz"], {}, "{roots} is not writable by you",
     "~/celery-tutor-kit.tar.gz"),
]


@pytest.mark.parametrize("args, env, what, fix", [pytest.param(*rest, id=name) for name, *rest in NOBODY_CASES])
def test_what_this_user_may_not_read_or_write_is_one_line(as_nobody, closed_places, args, env, what, fix):
    values = {key: str(value) for key, value in closed_places.items()}
    result = as_nobody(*[arg.format_map(values) for arg in args],
                       extra_env={key: value.format_map(values) for key, value in env.items()})
    assert_one_line(result, what.format_map(values), fix.format_map(values))


@pytest.mark.parametrize("inside", ["", "course.yaml"], ids=["directory", "file"])
def test_lint_names_a_path_behind_a_closed_directory(as_nobody, closed_places, inside):
    path = closed_places["behind_closed"] / inside if inside else closed_places["behind_closed"]
    result = as_nobody("lint", str(path))
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    assert result.returncode == 1
    assert f"{path}:1: cannot read it (Permission denied)" in result.stdout, result.stdout
    assert "chmod a+x" in result.stdout


def test_lint_names_an_unreadable_directory(as_nobody, closed_places):
    locked = closed_places["locked"]
    result = as_nobody("lint", str(locked))
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    assert f"{locked}:1: cannot read the lessons directory (Permission denied)" in result.stdout


# --- one rule, one message, one log: in-process -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", "l" * 100, "Bad Name!", "-rf", "../x", "alice\n"],
                         ids=["empty", "too-long", "space", "leading-dash", "a-path", "trailing-newline"])
def test_lab_refuses_a_name_with_the_cli_s_own_words(name):
    from celery_tutor.lab.errors import LabError
    from celery_tutor.lab.lab import Lab
    from celery_tutor.lab.naming import name_problem

    problem = name_problem(name)
    assert problem, f"{name!r} passes as a lab name"
    with pytest.raises(LabError) as refused:
        Lab(None, name=name)  # refused before the client is touched
    assert problem in refused.value.reason and "--lab alice" in refused.value.fix


def test_a_backwards_range_says_to_swap_it_wherever_it_is_shown():
    from celery_tutor.course import load_course
    from celery_tutor.steps.selection import SelectionError, select_steps

    with pytest.raises(SelectionError) as refused:
        select_steps(load_course(), "2", "1")
    assert str(refused.value) == "--to 1 comes before --from 2 in the course; swap them: --from 1 --to 2"


def test_an_unexpected_error_under_serve_is_one_line_naming_the_log(monkeypatch, tmp_path, capfd):
    import asyncio
    import logging
    import signal

    from aiohttp import web

    from celery_tutor.cli import main
    from celery_tutor.paths import log_dir

    def fails(app, *args, **kwargs):
        app.close()  # the coroutine that would have made the web app
        raise RuntimeError("the web server fell over")

    # The engine and the lessons pass; the error comes after textual-serve has set up logging to the terminal.
    monkeypatch.setattr("celery_tutor.lab.docker_engine.connect", lambda *args, **kwargs: None)
    monkeypatch.setattr(web, "run_app", fails)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # where the log directory is (platformdirs)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers[:] = []  # pytest's own capture would keep textual-serve's basicConfig from taking the terminal
    loop = asyncio.new_event_loop()  # serve adds its signal handlers to it, taken off again below
    asyncio.set_event_loop(loop)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        code = main(["serve", "--port", str(port)])
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        loop.close()
        asyncio.set_event_loop(None)
        root.handlers[:], root.level = handlers, level
    out, errors = capfd.readouterr()
    log = log_dir() / "celery-tutor.log"
    assert log.is_relative_to(tmp_path)
    assert code == 1
    assert "Traceback" not in out + errors and "fell over" not in out, out
    lines = errors.splitlines()
    assert len(lines) == 1 and "RuntimeError: the web server fell over" in lines[0], errors
    assert f"details in {log}" in lines[0]
    assert "Traceback" in log.read_text() and "fell over" in log.read_text()
