// Validates JSON response bodies against Spotify's OpenAPI 3.0 document (sonallux's fixed
// definition, from ../shared next to the repository or the copy in tests/contract/fixtures).
// Component schemas are registered with
// Ajv as one schema document; `$ref`s into #/components/... are rewritten to point at it, and
// Ajv's OpenAPI `nullable` keyword handles nullable fields.
import * as fs from "node:fs";
import * as path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "./server.ts";

const SHARED_OPENAPI = path.join(REPO_ROOT, "..", "shared", "data", "spotify-openapi", "fixed-spotify-open-api.yml");
// The shared data folder when it sits next to the repository, else the committed copy.
export const OPENAPI_PATH = fs.existsSync(SHARED_OPENAPI)
  ? SHARED_OPENAPI
  : path.join(REPO_ROOT, "tests", "contract", "fixtures", "fixed-spotify-open-api.yml");

const COMPONENTS_ID = "https://segue.test/spotify-components.json";

type Json = any;

function rewriteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/")) {
      out[k] = COMPONENTS_ID + "#/" + v.slice("#/components/".length);
    } else if (k === "example" || k === "examples" || k === "discriminator" || k === "xml" || k === "externalDocs") {
      // documentation only
    } else if (k === "x-spotify-docs-type" || k.startsWith("x-")) {
      // vendor extensions
    } else {
      out[k] = rewriteRefs(v);
    }
  }
  return out;
}

export interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  operationId: string;
  validate?: ValidateFunction | null;
  responseSchema?: Json;
}

export interface ValidationReport {
  method: string;
  url: string;
  operationId: string | null;
  ok: boolean;
  errors: string[];
}

export class OpenApi {
  readonly doc: Json;
  readonly ajv: Ajv;
  readonly operations: Operation[] = [];

  constructor(file = OPENAPI_PATH) {
    this.doc = parseYaml(fs.readFileSync(file, "utf8"), { maxAliasCount: -1 });
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    const addFormats = (addFormatsModule as any).default ?? addFormatsModule;
    addFormats(this.ajv);
    const components = rewriteRefs(this.doc.components);
    this.ajv.addSchema({ $id: COMPONENTS_ID, ...components });
    for (const [template, item] of Object.entries<Json>(this.doc.paths)) {
      for (const method of ["get", "put", "post", "delete", "patch"]) {
        const op = item[method];
        if (!op) continue;
        const pattern = "^" + template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+").replace(/\{[^}]+\}/g, "[^/]+") + "$";
        this.operations.push({ method: method.toUpperCase(), template, regex: new RegExp(pattern), operationId: op.operationId });
      }
    }
    // Literal paths before templated ones (/me/tracks/contains vs /me/tracks/{id}).
    this.operations.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  }

  /** The operation for METHOD and a path relative to /v1 ("/tracks/abc"). */
  findOperation(method: string, apiPath: string): Operation | undefined {
    return this.operations.find((o) => o.method === method.toUpperCase() && o.regex.test(apiPath));
  }

  private resolve(node: Json): Json {
    while (node && typeof node === "object" && typeof node.$ref === "string" && node.$ref.startsWith("#/")) {
      node = node.$ref
        .slice(2)
        .split("/")
        .reduce((n: Json, k: string) => n?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], this.doc);
    }
    return node;
  }

  /** The JSON schema of an operation's response for `status` (null if it has no JSON body). */
  responseSchema(op: Operation, status = 200): Json | null {
    const raw = this.doc.paths[op.template][op.method.toLowerCase()];
    const resp = this.resolve(raw.responses?.[String(status)]);
    const schema = resp?.content?.["application/json"]?.schema;
    return schema ? rewriteRefs(schema) : null;
  }

  validator(op: Operation, status = 200): ValidateFunction | null {
    if (status === 200 && op.validate !== undefined) return op.validate;
    const schema = this.responseSchema(op, status);
    const v = schema ? this.ajv.compile(schema) : null;
    if (status === 200) op.validate = v;
    return v;
  }

  /** Validates `body` as the 200 response of METHOD url (url under /v1). */
  validate(method: string, url: string, body: unknown, status = 200): ValidationReport {
    const u = new URL(url);
    const apiPath = u.pathname.replace(/^\/v1/, "");
    const op = this.findOperation(method, apiPath);
    if (!op) return { method, url, operationId: null, ok: false, errors: ["no operation in the OpenAPI document"] };
    const v = this.validator(op, status);
    if (!v) return { method, url, operationId: op.operationId, ok: false, errors: [`no JSON schema for ${status}`] };
    const ok = v(body) as boolean;
    return { method, url, operationId: op.operationId, ok, errors: ok ? [] : formatErrors(v.errors ?? []) };
  }
}

export function formatErrors(errors: ErrorObject[]): string[] {
  const seen = new Set<string>();
  for (const e of errors) {
    let msg = `${e.instancePath || "/"} ${e.message}`;
    if (e.keyword === "additionalProperties") msg += ` (${(e.params as any).additionalProperty})`;
    if (e.keyword === "enum") msg += ` (${JSON.stringify((e.params as any).allowedValues)})`;
    seen.add(msg);
  }
  return [...seen];
}
