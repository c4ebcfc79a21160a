"""The real Hub download path (locate({"kind": "hub"}) -> huggingface_hub.snapshot_download) against a
fake Hub: a local HTTP server that answers the few requests snapshot_download makes, so that no test
needs the network. The requests were read off huggingface_hub's own source (_snapshot_download.py,
file_download.py, hf_api.py); if a new huggingface_hub asks for something else, the server answers 404
and test_downloads_a_hub_repository fails loudly rather than passing by accident."""

import hashlib
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from huggingface_hub import close_session, constants

from tailor_engine import emit as emit_module
from tailor_engine.errors import EngineError
from tailor_engine.model import load_model, load_tokenizer, locate

REPO = "tailor-test/tiny"
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # the revision "main" resolves to (any 40 hex digits)


class FakeHub(BaseHTTPRequestHandler):
    """Serves one model repository, REPO, whose files are `self.server.files` (name -> bytes).

    snapshot_download makes, in order:
      1. GET /api/models/{repo}/revision/main -> JSON with the commit hash in "sha" (HfApi.repo_info)
      2. GET /api/models/{repo}/tree/{commit}?recursive=... -> JSON list of files (HfApi.list_repo_tree;
         one page, since there is no `Link: <...>; rel="next"` header)
      3. per file matching allow_patterns, HEAD then GET /{repo}/resolve/{commit}/{filename}. The HEAD must
         carry X-Repo-Commit and an ETag (the blob's name in the cache), else hf_hub_download refuses it
         as "not a Hub endpoint". No X-Xet-Hash header and no xetHash in the tree: so hf_xet, although
         installed, is not used and the file comes over plain HTTP from the GET.
    Anything else (another repo, another revision) gets the Hub's 404 for a missing repository."""

    def do_GET(self):
        self._answer(send_body=True)

    def do_HEAD(self):
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        files: dict[str, bytes] = self.server.files
        self.server.requests.append(f"{self.command} {path}")
        resolve = f"/{REPO}/resolve/{COMMIT}/"
        headers = {"X-Repo-Commit": COMMIT}
        if path == f"/api/models/{REPO}/revision/main":
            body = json.dumps({"id": REPO, "sha": COMMIT, "siblings": [{"rfilename": f} for f in files]}).encode()
            headers["Content-Type"] = "application/json"
        elif path == f"/api/models/{REPO}/tree/{COMMIT}":
            body = json.dumps([{"type": "file", "path": f, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                               for f, data in files.items()]).encode()
            headers["Content-Type"] = "application/json"
        elif path.startswith(resolve) and path[len(resolve):] in files:
            body = files[path[len(resolve):]]
            headers["ETag"] = f'"{hashlib.sha256(body).hexdigest()}"'
        else:
            # What huggingface.co answers for an unknown (or private) repository; hf_raise_for_status
            # turns the X-Error-Code into RepositoryNotFoundError.
            body, headers = b"Repository not found", {"X-Error-Code": "RepoNotFound"}
            self.send_response(404)
            return self._finish(headers, body, send_body)
        self.send_response(200)
        self._finish(headers, body, send_body)

    def _finish(self, headers: dict[str, str], body: bytes, send_body: bool) -> None:
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))  # also on HEAD: it is the file's size
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass


def point_hub_at(endpoint: str, tmp_path: Path, monkeypatch) -> None:
    """Sends huggingface_hub to `endpoint`, online, with its cache under tmp_path and no token.
    huggingface_hub reads its environment once, at import, into `constants`, and reads `constants` at
    call time; so both are set (the environment for anything started later, e.g. a subprocess)."""
    hf_home = tmp_path / "hf"
    settings = {"HF_ENDPOINT": endpoint, "HF_HOME": str(hf_home), "HF_HUB_CACHE": str(hf_home / "hub"),
                "HF_XET_CACHE": str(hf_home / "xet"), "HF_TOKEN_PATH": str(hf_home / "token")}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HF_HOME", settings["HF_HOME"])
    monkeypatch.setattr(constants, "HF_HUB_CACHE", settings["HF_HUB_CACHE"])
    monkeypatch.setattr(constants, "HF_XET_CACHE", settings["HF_XET_CACHE"])
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", settings["HF_TOKEN_PATH"])
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(hf_home / "stored_tokens"))
    # hf_hub_url builds file URLs from this template, computed from HF_ENDPOINT at import.
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # A proxy from the environment must not swallow requests to 127.0.0.1; the shared HTTP client reads
    # the environment when it is created, so it is re-created.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    close_session()


@pytest.fixture
def fake_hub(tiny_model, tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    server.files = {p.name: p.read_bytes() for p in sorted(Path(tiny_model).iterdir()) if p.is_file()}
    server.files["README.md"] = b"# tiny\n"  # matches none of locate's allow_patterns: must not be fetched
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    point_hub_at(f"http://127.0.0.1:{server.server_address[1]}", tmp_path, monkeypatch)
    yield server
    server.shutdown()
    server.server_close()
    close_session()


@pytest.fixture
def emitted(monkeypatch) -> io.StringIO:
    """What the engine writes to its protocol stdout (after emit's schema check)."""
    out = io.StringIO()
    monkeypatch.setattr(emit_module, "_out", out)
    return out


def test_downloads_a_hub_repository(fake_hub, tiny_model, tmp_path, emitted):
    located = locate({"kind": "hub", "repo_id": REPO})

    assert located.gguf_file is None
    assert located.folder == tmp_path / "hf" / "hub" / "models--tailor-test--tiny" / "snapshots" / COMMIT
    for name in ("config.json", "model.safetensors"):
        assert (located.folder / name).read_bytes() == (Path(tiny_model) / name).read_bytes()
    downloaded = sorted(p.name for p in located.folder.iterdir())
    assert downloaded == sorted(f for f in fake_hub.files if f != "README.md")
    assert not any("README.md" in r for r in fake_hub.requests)

    messages = [json.loads(line) for line in emitted.getvalue().splitlines()]
    assert messages and all(m["type"] == "progress" and m["stage"] == "download" for m in messages)
    assert messages[0]["message"] == f"downloading {REPO} from the Hugging Face Hub"
    # The byte counter reaches the total size of what was downloaded.
    total = float(sum(len(data) for f, data in fake_hub.files.items() if f != "README.md"))
    assert any(m.get("current") == m.get("total") == total for m in messages)

    tokenizer = load_tokenizer(located)
    model = load_model(located)
    assert model.config.vocab_size == len(tokenizer)
    assert tokenizer("hello")["input_ids"]


def test_unknown_repository_fails_with_advice(fake_hub, emitted):
    with pytest.raises(EngineError) as caught:
        locate({"kind": "hub", "repo_id": "tailor-test/no-such-model"})
    assert caught.value.code == "download_failed"
    assert "'tailor-test/no-such-model'" in caught.value.message
    assert "RepositoryNotFoundError" in caught.value.message
    assert "pass its local folder" in caught.value.message


@pytest.mark.parametrize("how", ["offline", "unreachable"])
def test_no_hub_fails_with_advice(how, fake_hub, tmp_path, monkeypatch, emitted):
    if how == "offline":  # HF_HUB_OFFLINE=1, as read by huggingface_hub at import
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    else:  # a port on which nothing listens (bound then released)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        point_hub_at(f"http://127.0.0.1:{port}", tmp_path, monkeypatch)

    with pytest.raises(EngineError) as caught:
        locate({"kind": "hub", "repo_id": REPO})
    assert caught.value.code == "download_failed"
    assert f"'{REPO}'" in caught.value.message and "pass its local folder" in caught.value.message
    assert fake_hub.requests == []  # nothing reached the (working) fake Hub
    assert not (tmp_path / "hf" / "hub" / "models--tailor-test--tiny" / "snapshots").exists()
