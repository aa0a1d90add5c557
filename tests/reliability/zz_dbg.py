from tests.test_secrets_never_leave import SIGNING_KEY, _diff_excerpt, stage
def test_dbg(tmp_path, github_api, model_server):
    lines = [SIGNING_KEY] * 3 + [" " * 200] * 7997
    def run(folder):
        files = {"config/padding.txt": "".join(f"{line}\n" for line in lines)}
        ready = stage("deploy-gate", tmp_path / folder, github_api, model_server, extra=files, answer=folder == "first")
        ready.env["SIGNING_PRIVATE_KEY"] = SIGNING_KEY
        return ready.run()
    ex1 = _diff_excerpt(run("first"))
    padding = ex1[ex1.index("\n+") + 1 :].removesuffix("\n")
    last = padding.count("\n")
    print("\nLEN1", len(ex1), "last", last, repr(ex1[:400]))
    lines[:3] = [" " * 200] * 3
    lines[last - 1 : last + 2] = [SIGNING_KEY] * 3
    ex2 = _diff_excerpt(run("second"))
    print("\nLEN2", len(ex2), repr(ex2[:300]), ex2.count("REDACTED"))
    body = ex2[ex2.index("\n+") + 1 :]
    print("\nTAIL", body.count("\n"), repr(body[-450:]))
    print("\nLINE", repr(lines[last-2][:30]), repr(lines[last-1][:30]), last)
