// A stand-in for the Supabase Management API, for exactly what the pinned CLI's
// `supabase functions deploy --use-api` sends (read from supabase/cli, pkg/function/deploy.go):
//
// - POST /v1/projects/{ref}/functions/deploy?slug=<name>[&bundleOnly=true]: a multipart form with
//   a `metadata` field (JSON: name, entrypoint_path, import_map_path, static_patterns,
//   verify_jwt) and one `file` part per uploaded file, named by its path relative to the project;
//   answered 201 with the deployed function. With bundleOnly the function waits for:
// - PUT /v1/projects/{ref}/functions: the bulk update that makes the bundled functions live;
//   answered 200 with them.
//
// It records what was uploaded so a test can rebuild and check it. Anything else gets a clear
// 501 naming the request, and is listed in `unexpected`, so a CLI that starts needing more shows up
// as a failing test rather than a silent difference.

/** What one deploy of one function uploaded. */
export interface UploadedFunction {
  slug: string;
  metadata: {
    name?: string;
    entrypoint_path: string;
    import_map_path?: string;
    static_patterns?: string[];
    verify_jwt?: boolean;
  };
  /** Uploaded files by the path the CLI gave them. */
  files: Map<string, Uint8Array>;
  id: string;
  version: number;
}

export interface ManagementApiStandIn {
  url: string;
  /** Functions made live (directly, or by the bulk update after bundleOnly uploads). */
  deployed: Map<string, UploadedFunction>;
  /** Requests it does not implement, as "METHOD /path". */
  unexpected: string[];
  close(): Promise<void>;
}

export interface ManagementApiOptions {
  projectRef: string;
  /** The personal access token the CLI must present (a fake one: this never leaves the host). */
  accessToken: string;
}

const error = (status: number, message: string) => Response.json({ message }, { status });

function deployResponse(uploaded: UploadedFunction, now: number) {
  return {
    id: uploaded.id,
    slug: uploaded.slug,
    name: uploaded.metadata.name ?? uploaded.slug,
    version: uploaded.version,
    status: "ACTIVE",
    entrypoint_path: uploaded.metadata.entrypoint_path,
    import_map_path: uploaded.metadata.import_map_path,
    import_map: Boolean(uploaded.metadata.import_map_path),
    verify_jwt: uploaded.metadata.verify_jwt,
    created_at: now,
    updated_at: now,
  };
}

async function readUpload(request: Request, slug: string): Promise<UploadedFunction | string> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return "the body must be multipart/form-data";
  }
  const rawMetadata = form.get("metadata");
  if (typeof rawMetadata !== "string") return "the form has no metadata field";
  let metadata: UploadedFunction["metadata"];
  try {
    metadata = JSON.parse(rawMetadata);
  } catch {
    return "metadata is not JSON";
  }
  if (typeof metadata.entrypoint_path !== "string" || !metadata.entrypoint_path) {
    return "metadata.entrypoint_path is required";
  }
  const files = new Map<string, Uint8Array>();
  for (const part of form.getAll("file")) {
    if (typeof part === "string") return "every file part must be a file";
    files.set(part.name, new Uint8Array(await part.arrayBuffer()));
  }
  if (!files.has(metadata.entrypoint_path)) {
    return `the entrypoint ${metadata.entrypoint_path} was not uploaded`;
  }
  if (metadata.import_map_path && !files.has(metadata.import_map_path)) {
    return `the import map ${metadata.import_map_path} was not uploaded`;
  }
  return { slug, metadata, files, id: crypto.randomUUID(), version: 1 };
}

export function startManagementApi(options: ManagementApiOptions): ManagementApiStandIn {
  const deployed = new Map<string, UploadedFunction>();
  const bundled = new Map<string, UploadedFunction>();
  const unexpected: string[] = [];
  const slugPattern = /^[A-Za-z][A-Za-z0-9_-]*$/;

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    const project = url.pathname.match(/^\/v1\/projects\/([^/]+)(\/.*)$/);
    const known = project && (
      (request.method === "POST" && project[2] === "/functions/deploy") ||
      (request.method === "PUT" && project[2] === "/functions")
    );
    if (!known) {
      unexpected.push(route);
      return error(
        501,
        `the Management API stand-in does not implement ${route}: it answers only what ` +
          "`supabase functions deploy --use-api` needs (POST /v1/projects/{ref}/functions/deploy, " +
          "PUT /v1/projects/{ref}/functions)",
      );
    }
    if (request.headers.get("authorization") !== `Bearer ${options.accessToken}`) {
      return error(401, "Unauthorized: missing or wrong access token");
    }
    if (project[1] !== options.projectRef) {
      return error(404, `no project with ref ${project[1]}`);
    }
    const now = Date.now();

    if (request.method === "POST") {
      const slug = url.searchParams.get("slug") ?? "";
      if (!slugPattern.test(slug)) return error(400, `invalid function slug: ${slug || "(none)"}`);
      const uploaded = await readUpload(request, slug);
      if (typeof uploaded === "string") return error(400, `${slug}: ${uploaded}`);
      uploaded.version = (deployed.get(slug)?.version ?? 0) + 1;
      if (url.searchParams.get("bundleOnly") === "true") bundled.set(uploaded.id, uploaded);
      else deployed.set(slug, uploaded);
      return Response.json(deployResponse(uploaded, now), { status: 201 });
    }

    let updates: { id?: string; slug?: string }[];
    try {
      updates = await request.json();
      if (!Array.isArray(updates)) throw new Error();
    } catch {
      return error(400, "the bulk update body must be a JSON array of functions");
    }
    const live: UploadedFunction[] = [];
    for (const update of updates) {
      const uploaded = bundled.get(update.id ?? "");
      if (!uploaded || uploaded.slug !== update.slug) {
        return error(400, `no bundled function with id ${update.id} and slug ${update.slug}`);
      }
      live.push(uploaded);
    }
    for (const uploaded of live) {
      bundled.delete(uploaded.id);
      deployed.set(uploaded.slug, uploaded);
    }
    return Response.json({ functions: live.map((uploaded) => deployResponse(uploaded, now)) });
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handle);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    deployed,
    unexpected,
    async close() {
      await server.shutdown();
    },
  };
}
