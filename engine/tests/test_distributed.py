"""Training under torchrun: 2 processes (gloo on CPU) take the same steps as 1 on the same global batch,
a killed rank ends the run without a result and the retry resumes from the checkpoint, a stop ends all
ranks with a checkpoint, and two "machines" (two launchers on loopback) train one run together."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tailor_engine.config import TrainConfig
from tailor_engine.distributed import peer_lost, shard

from .conftest import train_request

ENGINE_DIR = Path(__file__).resolve().parents[1]
# the losses of N processes are sums of the same numbers in another order (float32): equal to about
# 1e-5 relative; the bound leaves room for the optimizer carrying those differences over 12 steps
LOSS_RTOL = 1e-3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(args: list[str], request: dict | None, env_extra: dict | None = None) -> subprocess.Popen:
    # fp32: with bf16 autocast, a row packed from other examples rounds differently (1e-3) and the tiny
    # model's high learning rate grows that; in fp32 the curves are equal to float noise
    env = {**os.environ, "PYTHONPATH": str(ENGINE_DIR), "PYTHONUNBUFFERED": "1", "TAILOR_CPU_BF16": "0",
           **(env_extra or {})}
    proc = subprocess.Popen([sys.executable, *args], cwd=ENGINE_DIR, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if request is not None:
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
    return proc


def torchrun(n: int, *extra: str) -> list[str]:
    return ["-m", "torch.distributed.run", "--nproc-per-node", str(n), *extra, "-m", "tailor_engine", "train"]


def standalone(n: int) -> list[str]:
    return torchrun(n, "--standalone")


def messages(proc: subprocess.Popen, until=None, timeout: float = 300) -> list[dict]:
    """The protocol messages on stdout to the end (or until `until(message)` is true)."""
    out, deadline = [], time.monotonic() + timeout
    for line in proc.stdout:
        if line.strip():
            out.append(json.loads(line))
            if until and until(out[-1]):
                return out
        assert time.monotonic() < deadline, "the run took too long"
    return out


def finish(proc: subprocess.Popen) -> tuple[list[dict], int, str]:
    proc.stdin.close()  # closing early would be a stop: only after the result
    msgs = messages(proc)
    return msgs, proc.wait(timeout=120), proc.stderr.read()


def run(args: list[str], request: dict) -> tuple[list[dict], str]:
    proc = launch(args, request)
    msgs = messages(proc, until=lambda m: m["type"] in ("completed", "failed"))
    proc.stdin.close()
    code = proc.wait(timeout=120)
    err = proc.stderr.read()
    assert msgs and msgs[-1]["type"] == "completed", f"{msgs[-1:]}\n{err[-3000:]}"
    assert code == 0, err[-3000:]
    return msgs, err


def losses(msgs: list[dict]) -> list[float]:
    return [m["train_loss"] for m in msgs if m["type"] == "metrics"]


def assert_same_curve(a: list[float], b: list[float]) -> None:
    assert len(a) == len(b), (a, b)
    assert a == pytest.approx(b, rel=LOSS_RTOL), (a, b)


def request_for(tiny_model: str, folder: Path, **overrides) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    req = TrainConfig.from_request(train_request(tiny_model, folder, **{"epochs": 3, "batch_size": 4, **overrides})).to_dict()
    return {k: v for k, v in req.items() if v is not None}  # the wire form: every default spelled out


@pytest.fixture(scope="module")
def one_process(tiny_model, tmp_path_factory):
    """The same run in one process: the reference curve."""
    folder = tmp_path_factory.mktemp("one")
    msgs, _ = run(["-m", "tailor_engine", "train"], request_for(tiny_model, folder, val_file=str(folder / "train.jsonl")))
    return msgs


def test_the_shards_cover_every_example_once_and_balance_tokens():
    sizes = [900, 40, 40, 40, 500, 400, 30, 20]
    parts = [shard(sizes, 2, r) for r in range(2)]
    assert sorted(parts[0] + parts[1]) == list(range(len(sizes)))
    loads = [sum(sizes[i] for i in p) for p in parts]
    assert max(loads) - min(loads) <= max(sizes[i] for i in range(len(sizes)) if sizes[i] < 900)
    assert shard([10], 2, 1) == []  # fewer examples than ranks: a rank may have none


def test_a_collective_broken_by_a_dead_peer_is_a_crash_not_a_failure():
    """What rank 0 sees when rank 1 is killed mid-step (gloo's words, from a CI run), against an
    ordinary error."""
    gloo = RuntimeError("[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:545] Read error "
                        "[127.0.0.1]:62180: Connection reset by peer. This is typically caused by a remote "
                        "worker hanging or bugs in the application.")
    assert peer_lost(gloo)
    assert not peer_lost(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert not peer_lost(ValueError("gloo"))


def test_two_processes_take_the_steps_of_one(tiny_model, tmp_path, one_process):
    msgs, err = run(standalone(2), request_for(tiny_model, tmp_path, val_file=str(tmp_path / "train.jsonl")))
    assert "on 2 processes" in err
    assert_same_curve(losses(msgs), losses(one_process))
    evals = [m["val_loss"] for m in msgs if m["type"] == "evaluation"]
    assert evals == pytest.approx([m["val_loss"] for m in one_process if m["type"] == "evaluation"], rel=LOSS_RTOL)
    assert sum(m["type"] == "hello" for m in msgs) == 1  # rank 0 alone speaks
    done = msgs[-1]
    assert done["steps"] == 12 and Path(done["path"], "adapter_model.safetensors").is_file()
    # the tokens counted are the whole step's (both ranks'), as in one process
    assert all(m["tokens_per_second"] > 0 for m in msgs if m["type"] == "metrics")


def rank_pids(launcher: int) -> dict[int, int]:
    """The engine processes torchrun started, by RANK."""
    found = {}
    for child in Path(f"/proc/{launcher}/task/{launcher}/children").read_text().split():
        env = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        ranks = [e.split(b"=", 1)[1] for e in env if e.startswith(b"RANK=")]
        if ranks:
            found[int(ranks[0])] = int(child)
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the ranks through /proc")
def test_a_killed_rank_fails_the_run_and_the_retry_resumes(tiny_model, tmp_path, one_process):
    request = request_for(tiny_model, tmp_path, checkpoint_every_steps=2, val_file=str(tmp_path / "train.jsonl"))
    # torchrun looks at its processes every 3 s here (0.1 s by default), so that rank 0 meets the dead
    # peer in a collective before torchrun stops it, as it may under load
    proc = launch(torchrun(2, "--standalone", "--monitor-interval", "3"), request)
    seen = messages(proc, until=lambda m: m["type"] == "checkpoint" and m["step"] >= 4)
    os.kill(rank_pids(proc.pid)[1], signal.SIGKILL)
    rest, code, err = finish(proc)
    assert code != 0
    # a crash, not a result: neither completed nor failed (the job is queued again, not failed)
    assert not [m for m in rest if m["type"] in ("completed", "failed")], rest[-1:]
    checkpoint = max(Path(request["checkpoint_dir"]).glob("step-*"))
    step = int(checkpoint.name.split("-")[1])
    assert step >= 4

    msgs, _ = run(standalone(2), {**request, "resume_from": str(checkpoint)})
    resumed = [m for m in msgs if m["type"] == "metrics"]
    assert resumed[0]["step"] == step + 1 and msgs[-1]["steps"] == 12
    # before the kill and after the resume: the uninterrupted one-process run's curve
    before = [m["train_loss"] for m in seen if m["type"] == "metrics" and m["step"] <= step]
    assert_same_curve(before + losses(msgs), losses(one_process))


def test_a_stop_ends_every_rank_with_a_checkpoint(tiny_model, tmp_path):
    proc = launch(standalone(2), request_for(tiny_model, tmp_path, epochs=20))
    messages(proc, until=lambda m: m["type"] == "metrics" and m["step"] == 2)
    rest, code, err = finish(proc)  # stdin closed mid-run: the stop
    assert rest[-1]["type"] == "failed" and rest[-1]["code"] == "cancelled", (rest[-1:], err[-2000:])
    assert "checkpoint kept" in rest[-1]["message"]
    assert list((tmp_path / "ckpt").glob("step-*"))
    assert code != 0


def test_two_machines_on_loopback_train_one_run(tiny_model, tmp_path, one_process):
    """What two machines do (README: several machines), as two launchers on 127.0.0.1 with the static
    rendezvous the worker starts them with (src/engine/process.ts engineArgs): each starts one process,
    the first speaks the protocol."""
    port = free_port()
    common = ["--nnodes", "2", "--master-addr", "127.0.0.1", "--master-port", str(port)]
    request = request_for(tiny_model, tmp_path, val_file=str(tmp_path / "train.jsonl"))
    first = launch(torchrun(1, *common, "--node-rank", "0"), request)
    second = launch(torchrun(1, *common, "--node-rank", "1"), None)
    try:
        msgs = messages(first, until=lambda m: m["type"] in ("completed", "failed"))
        first.stdin.close()
        second.stdin.close()
        assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0, first.stderr.read()[-3000:]
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.kill()
    assert msgs[-1]["type"] == "completed", msgs[-1]
    assert second.stdout.read().strip() == ""  # the second machine's process writes no protocol
    assert_same_curve(losses(msgs), losses(one_process))


def test_only_supervised_training_runs_on_several_processes(tiny_model, tmp_path):
    proc = launch(standalone(2), request_for(tiny_model, tmp_path, method="dpo"))
    msgs, code, err = finish(proc)
    assert msgs[-1]["type"] == "failed" and msgs[-1]["code"] == "invalid_request", msgs[-1:]
    assert "runs in one process" in msgs[-1]["message"]
    assert code != 0
