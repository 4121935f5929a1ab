import assert from "node:assert/strict";
import { startManagementApi } from "./management-api.ts";

const projectRef = "abcdefghijklmnopqrst";
const accessToken = `sbp_${"0".repeat(40)}`;
const authorization = `Bearer ${accessToken}`;

function deployForm(files: Record<string, string>, metadata: Record<string, unknown>) {
  const form = new FormData();
  form.set("metadata", JSON.stringify(metadata));
  for (const [path, text] of Object.entries(files)) form.append("file", new File([text], path));
  return form;
}

Deno.test("the Management API stand-in refuses what the CLI's deploy does not send, clearly", async () => {
  const api = startManagementApi({ projectRef, accessToken });
  try {
    const listed = await fetch(`${api.url}/v1/projects/${projectRef}/functions`, {
      headers: { authorization },
    });
    assert.equal(listed.status, 501);
    assert.match((await listed.json()).message, /does not implement GET \/v1\/projects\//);
    assert.deepEqual(api.unexpected, [`GET /v1/projects/${projectRef}/functions`]);

    const deploy = (ref: string, headers: HeadersInit, form: FormData) =>
      fetch(`${api.url}/v1/projects/${ref}/functions/deploy?slug=hello`, {
        method: "POST",
        headers,
        body: form,
      });
    const form = () =>
      deployForm({ "supabase/functions/hello/index.ts": "Deno.serve(() => new Response());" }, {
        name: "hello",
        entrypoint_path: "supabase/functions/hello/index.ts",
        verify_jwt: true,
      });
    const anonymous = await deploy(projectRef, {}, form());
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const elsewhere = await deploy("zzzzzzzzzzzzzzzzzzzz", { authorization }, form());
    assert.equal(elsewhere.status, 404);
    await elsewhere.body?.cancel();
    const noEntrypoint = await deploy(
      projectRef,
      { authorization },
      deployForm({}, { entrypoint_path: "supabase/functions/hello/index.ts" }),
    );
    assert.equal(noEntrypoint.status, 400);
    assert.match((await noEntrypoint.json()).message, /entrypoint .* was not uploaded/);
    assert.equal(api.deployed.size, 0, "nothing refused is recorded as deployed");
  } finally {
    await api.close();
  }
});

Deno.test("bundled uploads go live with the bulk update, as the CLI deploys several functions", async () => {
  const api = startManagementApi({ projectRef, accessToken });
  try {
    const bundled = await fetch(
      `${api.url}/v1/projects/${projectRef}/functions/deploy?slug=hello&bundleOnly=true`,
      {
        method: "POST",
        headers: { authorization },
        body: deployForm({
          "supabase/functions/hello/index.ts": 'import "./dep.ts";',
          "supabase/functions/hello/dep.ts": "",
        }, {
          name: "hello",
          entrypoint_path: "supabase/functions/hello/index.ts",
          verify_jwt: false,
        }),
      },
    );
    assert.equal(bundled.status, 201);
    const { id, slug, verify_jwt } = await bundled.json();
    assert.deepEqual([slug, verify_jwt], ["hello", false]);
    assert.equal(api.deployed.size, 0, "bundled, not live yet");

    const bulk = await fetch(`${api.url}/v1/projects/${projectRef}/functions`, {
      method: "PUT",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify([{ id, slug, name: "hello" }]),
    });
    assert.equal(bulk.status, 200);
    assert.equal((await bulk.json()).functions[0].slug, "hello");
    assert.deepEqual([...api.deployed.get("hello")!.files.keys()].sort(), [
      "supabase/functions/hello/dep.ts",
      "supabase/functions/hello/index.ts",
    ]);
  } finally {
    await api.close();
  }
});
