#!/usr/bin/env python3
"""A loopback Hugging Face Hub for tests, on 127.0.0.1: dataset repositories over the Hub's HTTP API.

Written from the Hub's public API documentation and the requests its official client
(`huggingface_hub`) sends, so that the client and Sluice can upload to it and download from it:

  POST /api/repos/create                                   {"name", "organization", "type", "private"|"visibility"}
  GET  /api/datasets/NS/NAME[/revision/REV]                the repository's info: sha, private, siblings
  GET  /api/datasets/NS/NAME/tree/REV[/PATH]?recursive=1   files and folders, paged with a Link header
  POST /api/datasets/NS/NAME/preupload/REV                 {"files": [{path, sample, size}]} -> uploadMode, oid
  POST /datasets/NS/NAME.git/info/lfs/objects/batch        Git LFS batch API (basic transfer)
  PUT  /lfs-objects/OID                                    the object's bytes (a pre-signed storage URL)
  POST /lfs-verify/OID                                     {"oid", "size"}
  POST /api/datasets/NS/NAME/commit/REV                    NDJSON: header, file, lfsFile, deletedFile
  POST /api/validate-yaml                                  {"content": README} -> errors, warnings
  HEAD|GET /datasets/NS/NAME/resolve/REV/PATH              a file, with X-Repo-Commit and ETag

Writes need `Authorization: Bearer TOKEN` (--token); so do reads of private repositories.
Errors are JSON {"error": MESSAGE} with the message in X-Error-Message too, as the Hub answers.

Faults for tests, queued with POST /_loopback/faults {"match": SUBSTRING, "status": 429, "count": 2,
"retry_after": 1, "error": MESSAGE} (a request whose path holds SUBSTRING gets that status) or
{"match": ..., "truncate": true, "count": 1} (the answer is cut short); GET /_loopback/log lists
the requests served ("METHOD PATH" lines), and GET /_loopback/blobs the LFS objects stored.

Usage: hub-server.py STORE_FOLDER [--token TOKEN] [--page-size N]. Prints the port, then serves
until killed.
"""
import base64
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

LFS_SUFFIXES = (".parquet", ".arrow", ".bin", ".h5", ".h5ad", ".npy", ".safetensors", ".zip", ".gz", ".zst")
LFS_THRESHOLD = 10 * 1024 * 1024


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub:
    def __init__(self, store, token, page_size):
        self.store = store
        self.token = token
        self.page_size = page_size
        self.lock = threading.Lock()
        # repo id -> {"private": bool, "commits": [sha], "files": {path: entry}}; an entry is
        # {"size", "oid" (git blob sha1), "lfs": sha256 or None, "content": bytes or None}
        self.repos = {}
        self.faults = []
        self.log = []
        os.makedirs(store, exist_ok=True)

    def blob_path(self, oid):
        return os.path.join(self.store, oid)

    def has_blob(self, oid, size=None):
        path = self.blob_path(oid)
        return os.path.exists(path) and (size is None or os.path.getsize(path) == size)

    def take_fault(self, path):
        with self.lock:
            for fault in self.faults:
                if fault["match"] in path and fault["count"] > 0:
                    fault["count"] -= 1
                    return dict(fault)
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub = None  # set by main

    def log_message(self, format, *args):
        pass

    # -- answers ---------------------------------------------------------------------------

    def answer(self, status, body=b"", content_type="application/json", headers=None, head=False):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, status, message, code=None):
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self.answer(status, {"error": message}, headers=headers)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def endpoint(self):
        return "http://%s" % self.headers.get("Host", "127.0.0.1:%d" % self.server.server_port)

    def authorized(self):
        return self.headers.get("Authorization") == "Bearer " + self.hub.token

    # -- dispatch ----------------------------------------------------------------------------

    def handle_any(self, method):
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        with self.hub.lock:
            self.hub.log.append("%s %s" % (method, url.path))
        if not path.startswith("/_loopback/"):
            fault = self.hub.take_fault(url.path)
            if fault:
                self.body()
                if fault.get("truncate"):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "4096")
                    self.end_headers()
                    self.wfile.write(b'{"cut": "sho')
                    self.wfile.flush()
                    self.close_connection = True
                    return
                headers = {"X-Error-Message": fault.get("error", "loopback fault")}
                if "retry_after" in fault:
                    headers["Retry-After"] = str(fault["retry_after"])
                self.answer(fault["status"], {"error": fault.get("error", "loopback fault")}, headers=headers)
                return
        for pattern, handler in ROUTES:
            if pattern[0] != method and not (pattern[0] == "GET" and method == "HEAD"):
                continue
            match = re.fullmatch(pattern[1], path)
            if match:
                return handler(self, method, query, *match.groups())
        self.body()
        self.error(404, "Sorry, we can't find the page you are looking for.")

    def do_GET(self):
        self.handle_any("GET")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    # -- repositories ------------------------------------------------------------------------

    def repo(self, repo_id, method="GET"):
        """The repository, or None after answering 401/404 (a private one is hidden from others)."""
        with self.hub.lock:
            repo = self.hub.repos.get(repo_id)
        if repo is None or (repo["private"] and not self.authorized()):
            self.error(404, "Repository Not Found for url: %s%s." % (self.endpoint(), self.path), "RepoNotFound")
            return None
        return repo

    def create(self, method, query):
        payload = json.loads(self.body() or b"{}")
        if not self.authorized():
            return self.error(401, "Invalid credentials in Authorization header")
        if payload.get("type") != "dataset":
            return self.error(400, "This loopback Hub holds dataset repositories only")
        name = payload.get("name") or ""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}", name) or ".." in name:
            return self.error(400, "Repository name '%s' is invalid: use letters, digits, '-', '_' and '.'" % name)
        repo_id = "%s/%s" % (payload.get("organization") or "loopback-user", name)
        private = bool(payload.get("private")) or payload.get("visibility") == "private"
        url = "%s/datasets/%s" % (self.endpoint(), repo_id)
        with self.hub.lock:
            if repo_id in self.hub.repos:
                exists = True
            else:
                exists = False
                initial = {".gitattributes": entry(b"*.parquet filter=lfs diff=lfs merge=lfs -text\n", None)}
                self.hub.repos[repo_id] = {"private": private, "commits": [commit_id(repo_id, "initial", initial)], "files": initial}
        if exists:
            return self.answer(409, {"error": "You already created this dataset repo", "url": url},
                               headers={"X-Error-Message": "You already created this dataset repo"})
        self.answer(200, {"url": url, "name": repo_id, "id": repo_id})

    def info(self, method, query, repo_id, revision=None):
        repo = self.repo(repo_id)
        if repo is None:
            return
        if revision not in (None, "main") and revision not in repo["commits"]:
            return self.error(404, "Invalid rev id: %s" % revision, "RevisionNotFound")
        with self.hub.lock:
            files = dict(repo["files"])
            sha = repo["commits"][-1]
        self.answer(200, {
            "id": repo_id, "author": repo_id.split("/")[0], "sha": sha, "private": repo["private"],
            "disabled": False, "gated": False, "downloads": 0, "likes": 0, "tags": [],
            "lastModified": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "siblings": [{"rfilename": path} for path in sorted(files)],
        }, head=method == "HEAD")

    def tree(self, method, query, repo_id, revision, folder):
        repo = self.repo(repo_id)
        if repo is None:
            return
        folder = (folder or "").strip("/")
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        with self.hub.lock:
            files = dict(repo["files"])
        entries = {}
        prefix = folder + "/" if folder else ""
        for path, item in files.items():
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):].split("/")
            for depth in range(1, len(rest)):
                if recursive or depth == 1:
                    sub = prefix + "/".join(rest[:depth])
                    entries[sub] = {"type": "directory", "path": sub, "oid": hashlib.sha1(sub.encode()).hexdigest()}
            if recursive or len(rest) == 1:
                value = {"type": "file", "path": path, "size": item["size"], "oid": item["oid"]}
                if item["lfs"]:
                    value["lfs"] = {"oid": item["lfs"], "size": item["size"], "pointerSize": 134}
                entries[path] = value
        listing = [entries[key] for key in sorted(entries)]
        start = int(query.get("cursor", ["0"])[0])
        page = listing[start:start + self.hub.page_size]
        headers = {}
        if start + self.hub.page_size < len(listing):
            next_url = "%s%s?recursive=%s&cursor=%d" % (self.endpoint(), quote(urlsplit(self.path).path), str(recursive).lower(),
                                                        start + self.hub.page_size)
            headers["Link"] = '<%s>; rel="next"' % next_url
        self.answer(200, page, headers=headers)

    # -- uploads -----------------------------------------------------------------------------

    def validate_yaml(self, method, query):
        payload = json.loads(self.body() or b"{}")
        problem = card_problem(payload.get("content", ""))
        if problem:
            return self.answer(400, {"errors": [{"message": problem}], "warnings": []})
        self.answer(200, {"errors": [], "warnings": []})

    def preupload(self, method, query, repo_id, revision):
        payload = json.loads(self.body() or b"{}")
        if not self.authorized():
            return self.error(401, "Invalid credentials in Authorization header")
        repo = self.repo(repo_id)
        if repo is None:
            return
        answers = []
        for item in payload.get("files", []):
            sample = base64.b64decode(item.get("sample", ""))
            binary = b"\0" in sample
            try:
                sample.decode("utf-8")
            except UnicodeDecodeError:
                binary = True
            lfs = item["path"].endswith(LFS_SUFFIXES) or binary or item.get("size", 0) >= LFS_THRESHOLD
            existing = repo["files"].get(item["path"])
            oid = None
            if existing:
                oid = existing["lfs"] if existing["lfs"] else existing["oid"]
            answers.append({"path": item["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        self.answer(200, {"files": answers, "commitOid": repo["commits"][-1]})

    def lfs_batch(self, method, query, repo_id):
        payload = json.loads(self.body() or b"{}")
        if not self.authorized():
            return self.error(401, "Invalid credentials in Authorization header")
        if self.repo(repo_id) is None:
            return
        if payload.get("operation") != "upload" or "basic" not in payload.get("transfers", ["basic"]):
            return self.error(422, "Only basic uploads are served here")
        objects = []
        for item in payload.get("objects", []):
            oid, size = item["oid"], item["size"]
            value = {"oid": oid, "size": size, "authenticated": True}
            if not re.fullmatch(r"[0-9a-f]{64}", oid):
                value["error"] = {"code": 422, "message": "Invalid oid %s" % oid}
            elif not self.hub.has_blob(oid, size):
                value["actions"] = {
                    "upload": {"href": "%s/lfs-objects/%s?size=%d" % (self.endpoint(), oid, size), "header": {"X-Loopback-Upload": "1"}},
                    "verify": {"href": "%s/lfs-verify/%s" % (self.endpoint(), oid), "header": {"Authorization": "Bearer " + self.hub.token}},
                }
            objects.append(value)
        self.answer(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}, content_type="application/vnd.git-lfs+json")

    def lfs_put(self, method, query, oid):
        data = self.body()
        if hashlib.sha256(data).hexdigest() != oid:
            return self.error(400, "The uploaded content does not match the object id %s" % oid)
        temporary = self.hub.blob_path(oid) + ".part%d" % threading.get_ident()
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, self.hub.blob_path(oid))
        self.answer(200, b"", content_type="text/plain")

    def lfs_verify(self, method, query, oid):
        payload = json.loads(self.body() or b"{}")
        if not self.authorized():
            return self.error(401, "Invalid credentials in Authorization header")
        if payload.get("oid") != oid or not self.hub.has_blob(oid, payload.get("size")):
            return self.error(404, "Object %s was not uploaded" % oid)
        self.answer(200, {"message": "ok"})

    def commit(self, method, query, repo_id, revision):
        lines = [json.loads(line) for line in self.body().decode().splitlines() if line.strip()]
        if not self.authorized():
            return self.error(401, "Invalid credentials in Authorization header")
        repo = self.repo(repo_id)
        if repo is None:
            return
        if revision != "main":
            return self.error(400, "This loopback Hub commits to main only")
        if not lines or lines[0].get("key") != "header" or not lines[0]["value"].get("summary"):
            return self.error(400, "A commit starts with its header, which needs a summary")
        parent = lines[0]["value"].get("parentCommit")
        changes = {}
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value", {})
            path = value.get("path", "")
            if not path or path.startswith("/") or ".." in path.split("/"):
                return self.error(400, "Invalid path in commit: '%s'" % path)
            if key == "file":
                if value.get("encoding") != "base64":
                    return self.error(400, "Unsupported encoding for %s" % path)
                content = base64.b64decode(value["content"])
                problem = card_problem(content.decode("utf-8", "replace")) if path == "README.md" else None
                if problem:
                    return self.error(400, problem)
                changes[path] = entry(content, None)
            elif key == "lfsFile":
                oid = value.get("oid", "")
                if value.get("algo") != "sha256" or not self.hub.has_blob(oid, value.get("size")):
                    return self.error(422, "Your push was rejected because an LFS pointer pointed to a file that does not exist. "
                                           "For instance: %s" % path)
                changes[path] = {"size": value["size"], "oid": pointer_sha1(oid, value["size"]), "lfs": oid, "content": None}
            elif key in ("deletedFile", "deletedFolder"):
                changes[path] = None
            else:
                return self.error(400, "Unknown commit operation '%s'" % key)
        with self.hub.lock:
            moved = parent and parent != repo["commits"][-1]
            if not moved:
                files = dict(repo["files"])
                for path, value in changes.items():
                    if value is None:
                        for existing in [p for p in files if p == path or p.startswith(path.rstrip("/") + "/")]:
                            del files[existing]
                    else:
                        files[path] = value
                sha = commit_id(repo_id, repo["commits"][-1], files)
                repo["files"] = files
                repo["commits"].append(sha)
        if moved:
            return self.error(412, "A commit has happened since. Please refresh and try again.")
        self.answer(200, {"commitUrl": "%s/datasets/%s/commit/%s" % (self.endpoint(), repo_id, sha), "commitOid": sha,
                          "commitMessage": lines[0]["value"]["summary"], "pullRequestUrl": None})

    # -- downloads ---------------------------------------------------------------------------

    def resolve(self, method, query, repo_id, revision, path):
        repo = self.repo(repo_id)
        if repo is None:
            return
        with self.hub.lock:
            sha = repo["commits"][-1]
            item = repo["files"].get(path)
        if revision not in ("main", sha):
            return self.error(404, "Invalid rev id: %s" % revision, "RevisionNotFound")
        if item is None:
            return self.error(404, "Entry not found", "EntryNotFound")
        if item["lfs"]:
            with open(self.hub.blob_path(item["lfs"]), "rb") as file:
                data = file.read()
            etag = item["lfs"]
        else:
            data = item["content"]
            etag = item["oid"]
        headers = {"X-Repo-Commit": sha, "ETag": '"%s"' % etag, "Accept-Ranges": "bytes"}
        if item["lfs"]:
            headers.update({"X-Linked-Etag": '"%s"' % etag, "X-Linked-Size": str(len(data))})
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if ranged:
            start = int(ranged.group(1))
            end = int(ranged.group(2)) if ranged.group(2) else len(data) - 1
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
            return self.answer(206, data[start:end + 1], content_type="application/octet-stream", headers=headers, head=method == "HEAD")
        self.answer(200, data, content_type="application/octet-stream", headers=headers, head=method == "HEAD")

    # -- test controls -----------------------------------------------------------------------

    def add_fault(self, method, query):
        fault = json.loads(self.body() or b"{}")
        fault.setdefault("count", 1)
        fault.setdefault("status", 500)
        with self.hub.lock:
            self.hub.faults.append(fault)
        self.answer(200, {"queued": fault})

    def show_log(self, method, query):
        with self.hub.lock:
            text = "".join(line + "\n" for line in self.hub.log)
        self.answer(200, text.encode(), content_type="text/plain")

    def show_blobs(self, method, query):
        names = sorted(name for name in os.listdir(self.hub.store) if re.fullmatch(r"[0-9a-f]{64}", name))
        self.answer(200, names)


def card_problem(text):
    """What is wrong with a README's metadata block (the YAML between '---' lines), or None."""
    if not text.startswith("---\n"):
        return "README.md has no metadata block: it must start with a '---' line"
    if "\n---\n" not in text[3:]:
        return "README.md's metadata block is not closed by a '---' line"
    return None


def entry(data, lfs):
    return {"size": len(data), "oid": git_blob_sha1(data), "lfs": lfs, "content": data}


def pointer_sha1(oid, size):
    pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (oid, size)).encode()
    return git_blob_sha1(pointer)


def commit_id(repo_id, parent, files):
    digest = hashlib.sha1()
    digest.update(("%s\n%s\n" % (repo_id, parent)).encode())
    for path in sorted(files):
        digest.update(("%s %s\n" % (path, files[path]["oid"])).encode())
    return digest.hexdigest()


REPO = r"([A-Za-z0-9._-]+/[A-Za-z0-9._-]+)"
ROUTES = [
    (("POST", r"/api/repos/create"), Handler.create),
    (("POST", r"/api/validate-yaml"), Handler.validate_yaml),
    (("GET", r"/api/datasets/" + REPO + r"/tree/([^/]+)(?:/(.*))?"), Handler.tree),
    (("GET", r"/api/datasets/" + REPO + r"/revision/([^/]+)"), Handler.info),
    (("GET", r"/api/datasets/" + REPO), Handler.info),
    (("POST", r"/api/datasets/" + REPO + r"/preupload/([^/]+)"), Handler.preupload),
    (("POST", r"/api/datasets/" + REPO + r"/commit/([^/]+)"), Handler.commit),
    (("POST", r"/datasets/" + REPO + r"\.git/info/lfs/objects/batch"), Handler.lfs_batch),
    (("PUT", r"/lfs-objects/([0-9a-f]{64})"), Handler.lfs_put),
    (("POST", r"/lfs-verify/([0-9a-f]{64})"), Handler.lfs_verify),
    (("GET", r"/datasets/" + REPO + r"/resolve/([^/]+)/(.+)"), Handler.resolve),
    (("POST", r"/_loopback/faults"), Handler.add_fault),
    (("GET", r"/_loopback/log"), Handler.show_log),
    (("GET", r"/_loopback/blobs"), Handler.show_blobs),
]


def main():
    arguments = sys.argv[1:]
    if not arguments or arguments[0].startswith("-"):
        sys.exit(__doc__)
    store = arguments.pop(0)
    token, page_size = "loopback-token", 50
    while arguments:
        flag = arguments.pop(0)
        if flag == "--token":
            token = arguments.pop(0)
        elif flag == "--page-size":
            page_size = int(arguments.pop(0))
        else:
            sys.exit("unknown option %s" % flag)
    Handler.hub = Hub(store, token, page_size)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
