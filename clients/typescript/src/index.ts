/**
 * A typed client for the iGoUltra API v1.
 *
 * `src/schema.d.ts` is generated from the backend's OpenAPI schema (`npm run schema && npm run
 * generate`); every path, request body, answer and error below is checked against it by `tsc`.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type Profile = Schemas["Profile"];
export type AddXPRequest = Schemas["AddXPInputRequest"];
export type AddXPResponse = Schemas["AddXPResponse"];
/** A report held for community review (202): nothing entered the ledger yet. */
export type PendingReview = Schemas["PendingReview"];
export type AddXPResult = AddXPResponse | PendingReview;

export function isPendingReview(result: AddXPResult): result is PendingReview {
  return "status" in result && result.status === "pending_review";
}

/** The award of an xp/add answer; throws when the report was held for review instead. */
export function awarded(result: AddXPResult): AddXPResponse {
  if (isPendingReview(result)) {
    throw new Error(`held for review as claim ${result.claim.id}`);
  }
  return result;
}
export type Leaderboard = Schemas["Leaderboard"];
export type TokenPair = Schemas["TokenPair"];
export type Mode = Schemas["ModeEnum"];
/** Every error answer: `code` is machine-readable and stable, `detail` is for people. */
export type ApiErrorBody = Schemas["Error"];
export type IgoUltraClient = Client<paths>;

export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:8000` (paths start with /api/v1/). */
  baseUrl: string;
  /** An app access token (`Authorization: Bearer`), or a function returning the current one. */
  accessToken?: string | (() => string | undefined);
  /** Browsers: send the session cookie (and set `csrfToken` for unsafe methods). */
  credentials?: RequestCredentials;
  csrfToken?: string | (() => string | undefined);
  fetch?: typeof globalThis.fetch;
}

/** An error answer of the API, with its status and its documented body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(`${status} ${body.code}: ${body.detail}`);
    this.name = "ApiError";
  }

  get code(): string {
    return this.body.code;
  }
}

const value = (given: string | (() => string | undefined) | undefined): string | undefined =>
  typeof given === "function" ? given() : given;

export function createIgoUltraClient(options: ClientOptions): IgoUltraClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    fetch: options.fetch,
    credentials: options.credentials,
  });
  const auth: Middleware = {
    onRequest({ request }) {
      const token = value(options.accessToken);
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      const csrf = value(options.csrfToken);
      if (csrf && !["GET", "HEAD", "OPTIONS"].includes(request.method)) request.headers.set("X-CSRFToken", csrf);
      return request;
    },
  };
  client.use(auth);
  return client;
}

/** The answer's data, or an ApiError with the documented error body. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const body = result.error as Partial<ApiErrorBody> | undefined;
    throw new ApiError(result.response.status, {
      code: body?.code ?? "unknown",
      detail: body?.detail ?? result.response.statusText,
      ...body,
    } as ApiErrorBody);
  }
  return result.data;
}

/** A native app signs in with a Discord OAuth access token and gets app tokens. */
export async function signInWithDiscordToken(client: IgoUltraClient, discordAccessToken: string): Promise<TokenPair> {
  const answer = unwrap(
    await client.POST("/api/v1/auth/discord/", { body: { access_token: discordAccessToken, client: "app" } }),
  );
  if (answer.method !== "token") throw new Error("expected app tokens (client: app)");
  return answer;
}

/** A new token pair for a refresh token (each refresh token works once). */
export async function refreshTokens(client: IgoUltraClient, refresh: string): Promise<TokenPair> {
  return unwrap(await client.POST("/api/v1/auth/token/refresh/", { body: { refresh } }));
}

/** Log XP for the signed-in player. `units` may be a number or a decimal string ("5.3"). The
 * answer is the award (201) or, for an implausible report, the claim held for review (202). */
export async function addXp(
  client: IgoUltraClient,
  body: AddXPRequest,
  idempotencyKey?: string,
): Promise<AddXPResult> {
  const params = idempotencyKey ? { header: { "Idempotency-Key": idempotencyKey } } : {};
  return unwrap(await client.POST("/api/v1/xp/add/", { body, params }));
}

export async function getProfile(client: IgoUltraClient): Promise<Profile> {
  return unwrap(await client.GET("/api/v1/user/profile/"));
}

export type LeaderboardQuery = NonNullable<operations["seasons_reality_retrieve"]["parameters"]["query"]>;

/** A seasonal board (the current season unless `season: "YYYY-MM"`); `me` when signed in. */
export async function getLeaderboard(
  client: IgoUltraClient,
  mode: Mode,
  query: LeaderboardQuery = {},
): Promise<Leaderboard> {
  const path = mode === "reality" ? "/api/v1/seasons/reality/" : "/api/v1/seasons/cyber/";
  return unwrap(await client.GET(path, { params: { query } }));
}
