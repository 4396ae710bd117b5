/**
 * First steps against a running server: sign in as an app, log XP, read the profile and a
 * leaderboard. Exits non-zero on any mismatch.
 *
 *   IGOULTRA_API_URL=http://127.0.0.1:8000 \
 *   IGOULTRA_DISCORD_ACCESS_TOKEN=<a Discord OAuth token> npm run first-steps
 *   # or, with an app token already: IGOULTRA_ACCESS_TOKEN=<access JWT>
 *   # (`.venv/bin/python manage.py dev_token ada` prints one for local development)
 */
import {
  ApiError,
  addXp,
  awarded,
  createIgoUltraClient,
  getLeaderboard,
  getProfile,
  refreshTokens,
  signInWithDiscordToken,
} from "../src/index.js";

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`mismatch: ${what}`);
  console.log(`ok   ${what}`);
}

async function main(): Promise<void> {
  const baseUrl = process.env.IGOULTRA_API_URL ?? "http://127.0.0.1:8000";
  let accessToken = process.env.IGOULTRA_ACCESS_TOKEN;
  const client = createIgoUltraClient({ baseUrl, accessToken: () => accessToken });

  const discordToken = process.env.IGOULTRA_DISCORD_ACCESS_TOKEN;
  if (discordToken) {
    const pair = await signInWithDiscordToken(client, discordToken);
    check(pair.token_type === "Bearer" && pair.expires_in > 0, "signed in with app tokens");
    const renewed = await refreshTokens(client, pair.refresh);
    check(renewed.user.id === pair.user.id && renewed.access !== "", "refreshed the tokens");
    accessToken = renewed.access;
  }
  if (!accessToken) {
    console.error(
      "no token: set IGOULTRA_ACCESS_TOKEN to an app access token (in the backend checkout,\n" +
        "`.venv/bin/python manage.py dev_token ada` prints one) or IGOULTRA_DISCORD_ACCESS_TOKEN to a Discord token",
    );
    process.exit(2);
  }
  check(true, "have an app access token");

  const before = await getProfile(client);
  check(before.level.current >= 1, `profile of ${before.display_name}: level ${before.level.current}`);

  // A decimal string, then a JSON number: both are accepted, both come back as strings.
  const key = `first-steps-${Date.now()}`;
  const first = awarded(await addXp(client, { activity: "running", units: "2.5", note: "first steps" }, key));
  check(first.entry.units === "2.50" && first.awarded_xp === 750, "logged 2.5 km of running (750 XP)");
  check(first.duplicate === false && first.profile.xp.total === before.xp.total + 750, "profile in the answer");
  const replay = awarded(await addXp(client, { activity: "running", units: "2.5", note: "first steps" }, key));
  check(replay.duplicate && replay.entry.id === first.entry.id, "a retried Idempotency-Key adds nothing");
  const second = awarded(await addXp(client, { activity: "running", units: 1.25 }));
  check(second.entry.units === "1.25" && second.awarded_xp === 375, "logged 1.25 km as a JSON number (375 XP)");

  const after = await getProfile(client);
  check(after.xp.total === before.xp.total + 1125, `profile total is ${after.xp.total}`);
  const next = after.level.xp_for_next_level;
  check(next === null || next > 0, `XP still needed for level ${after.level.current + 1}: ${next}`);

  const board = await getLeaderboard(client, "reality", { page_size: 10 });
  check(board.mode === "reality" && board.results.length > 0, `reality board of ${board.season}`);
  check(board.me !== null && board.me.xp >= 1125, `my rank on it: ${board.me?.rank}`);
  check(board.results.some((row) => row.user.id === after.id), "I am on the first page");

  try {
    await addXp(client, { activity: "running", units: "1.234" });
    check(false, "three decimal places are refused");
  } catch (error) {
    check(error instanceof ApiError && error.status === 400 && error.code === "max_decimal_places", "1.234 is refused");
  }
}

main().then(
  () => console.log("first steps: all good"),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
