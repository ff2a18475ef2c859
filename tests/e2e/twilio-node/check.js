// Twilio's official Node.js helper library (npm package "twilio", pinned in
// package.json) against `autovoice sandbox`: every answer the sandbox gives
// must be one the library accepts and turns into the objects, dates, pages
// and exceptions it would make of Twilio's own answers.
//
// The library is used as an application uses it: twilio(accountSid,
// authToken, {httpClient}). The only change is the library's supported
// httpClient option: a RequestClient subclass that sends what the library
// addresses to https://api.twilio.com/... to the sandbox instead (and refuses
// anything else, so nothing can leave the machine).
//
// Environment: AUTOVOICE_SANDBOX_URL (http://127.0.0.1:PORT), TWILIO_ACCOUNT_SID,
// TWILIO_AUTH_TOKEN. Prints "ok - NAME" per check passed, "FAIL: NAME: why"
// per check failed, then "N passed, N failed"; exits 1 if any check failed.
"use strict";

const twilio = require("twilio");

const { RequestClient, RestException } = twilio;

const TWILIO_BASE = "https://api.twilio.com/";
const SANDBOX_URL = (process.env.AUTOVOICE_SANDBOX_URL || "").replace(/\/+$/, "");
const ACCOUNT_SID = process.env.TWILIO_ACCOUNT_SID || "";
const AUTH_TOKEN = process.env.TWILIO_AUTH_TOKEN || "";
const OVERALL_LIMIT_MS = 120000;

const FROM = "+15550100000";
const TO_SINGLE = "+15550100001";
const TO_PAGED = "+15550100002";
const TO_NOBODY = "+15550100099";
// Unreachable on loopback: the sandbox's webhook fails and the call ends as
// Twilio ends it after "an application error has occurred".
const VOICE_URL = "http://127.0.0.1:9/voice";
const FINAL_STATUSES = new Set(["completed", "busy", "no-answer", "failed", "canceled"]);

// Sends the library's requests to the sandbox and remembers each one.
class SandboxRequestClient extends RequestClient {
  constructor(sandboxUrl, opts) {
    super(opts);
    this.sandboxUrl = sandboxUrl;
    this.sent = [];  // {method, url} with the query the library added
  }

  async request(opts) {
    if (typeof opts.uri !== "string" || !opts.uri.startsWith(TWILIO_BASE)) {
      throw new Error(`the library addressed ${opts.uri}, not ${TWILIO_BASE}...`);
    }
    const uri = `${this.sandboxUrl}/${opts.uri.slice(TWILIO_BASE.length)}`;
    const url = new URL(uri);
    for (const [key, value] of Object.entries(opts.params || {})) {
      url.searchParams.append(key, String(value));
    }
    this.sent.push({ method: opts.method, url });
    return super.request({ ...opts, uri });
  }
}

class CheckFailure extends Error {}

function expect(condition, message) {
  if (!condition) throw new CheckFailure(message);
}

function show(value) {
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  return JSON.stringify(value);
}

function expectEqual(actual, expected, what) {
  expect(actual === expected, `${what} is ${show(actual)}, expected ${show(expected)}`);
}

function expectDate(value, what) {
  expect(value instanceof Date && !Number.isNaN(value.getTime()),
         `${what} is ${show(value)}, expected a valid Date`);
}

function expectNear(date, what) {
  expectDate(date, what);
  const skew = Math.abs(date.getTime() - Date.now());
  expect(skew < 10 * 60 * 1000, `${what} ${date.toISOString()} is ${skew} ms from the clock`);
}

function expectNull(value, what) {
  expect(value === null, `${what} is ${show(value)}, expected null`);
}

function expectSid(sid, prefix, what) {
  expect(typeof sid === "string" && new RegExp(`^${prefix}[0-9a-f]{32}$`).test(sid),
         `${what} is ${show(sid)}, expected ${prefix} and 32 lowercase hex digits`);
}

function sameSet(actual, expected) {
  return actual.length === expected.length && new Set(actual).size === actual.length &&
         expected.every((x) => actual.includes(x));
}

// Awaits `promise`, which must reject with the library's RestException.
async function expectRestError(promise, status, code) {
  let error = null;
  try {
    const value = await promise;
    throw new CheckFailure(`succeeded (${show(value && value.sid)}), expected HTTP ${status} ` +
                           `code ${code}`);
  } catch (e) {
    if (e instanceof CheckFailure) throw e;
    error = e;
  }
  expect(error instanceof RestException,
         `raised ${error && error.constructor && error.constructor.name}: ${error && error.message}` +
         `, expected RestException`);
  expectEqual(error.status, status, "RestException.status");
  expectEqual(error.code, code, "RestException.code");
  expectEqual(error.moreInfo, `https://www.twilio.com/docs/errors/${code}`, "RestException.moreInfo");
  expect(typeof error.message === "string" && error.message.length > 0 &&
         !error.message.startsWith("[HTTP"),
         `RestException.message is ${show(error.message)}, expected Twilio's message`);
  return error;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(e) {
  if (e instanceof CheckFailure) return e.message;
  if (e instanceof RestException) {
    return `unexpected RestException: HTTP ${e.status}, code ${e.code}: ${e.message}`;
  }
  return (e && e.stack) || String(e);
}

let passed = 0;
let failed = 0;

async function check(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${name}: ${describe(e)}`);
  }
}

async function main() {
  expect(/^http:\/\/(127\.[0-9.]+|localhost|\[::1\]):[0-9]+$/.test(SANDBOX_URL),
         `AUTOVOICE_SANDBOX_URL is ${show(SANDBOX_URL)}, expected http://127.0.0.1:PORT`);
  expectSid(ACCOUNT_SID, "AC", "TWILIO_ACCOUNT_SID");
  expect(AUTH_TOKEN !== "", "TWILIO_AUTH_TOKEN is empty");

  const http = new SandboxRequestClient(SANDBOX_URL, { timeout: 10000 });
  const client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: http });
  // Before anything started: the lower bound of every StartTime> filter below.
  const testStart = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);

  let call = null;
  await check("calls.create returns a queued outbound-api CallInstance", async () => {
    call = await client.calls.create({
      to: TO_SINGLE, from: FROM, url: VOICE_URL,
      statusCallback: "http://127.0.0.1:9/status",
      statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
      machineDetection: "Enable", timeout: 15,
    });
    expectEqual(call.constructor.name, "CallInstance", "the created object's class");
    expectSid(call.sid, "CA", "sid");
    expectEqual(call.accountSid, ACCOUNT_SID, "accountSid");
    expectEqual(call.status, "queued", "status");
    expectEqual(call.direction, "outbound-api", "direction");
    expectEqual(call.to, TO_SINGLE, "to");
    expectEqual(call.from, FROM, "from");
    expectEqual(call.apiVersion, "2010-04-01", "apiVersion");
    expectNear(call.dateCreated, "dateCreated");
    expectNear(call.dateUpdated, "dateUpdated");
    expectNull(call.endTime, "endTime of a queued call");
    expectNull(call.duration, "duration of a queued call");
    expectEqual(call.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.sid}.json`, "uri");
    expect(call.subresourceUris && typeof call.subresourceUris === "object",
           `subresourceUris is ${show(call.subresourceUris)}, expected an object`);
  });

  await check("calls(sid).fetch returns the call", async () => {
    expect(call !== null, "no call was created");
    const fetched = await client.calls(call.sid).fetch();
    expectEqual(fetched.constructor.name, "CallInstance", "the fetched object's class");
    expectEqual(fetched.sid, call.sid, "sid");
    expectEqual(fetched.to, TO_SINGLE, "to");
    expectEqual(fetched.from, FROM, "from");
    expectEqual(fetched.direction, "outbound-api", "direction");
    expectEqual(fetched.dateCreated.getTime(), call.dateCreated.getTime(), "dateCreated");
  });

  await check("the call reaches a final status, with duration and endTime", async () => {
    expect(call !== null, "no call was created");
    const deadline = Date.now() + 30000;
    const seen = [];
    let latest = call;
    while (!FINAL_STATUSES.has(latest.status)) {
      expect(Date.now() < deadline, `still not final after 30 s; statuses seen: ${seen.join(", ")}`);
      await sleep(50);
      latest = await latest.fetch();  // CallInstance.fetch: the instance's own context
      if (seen[seen.length - 1] !== latest.status) seen.push(latest.status);
    }
    expect(typeof latest.duration === "string" || typeof latest.duration === "number",
           `duration is ${show(latest.duration)}, expected a string or a number`);
    expect(/^[0-9]+$/.test(String(latest.duration)),
           `duration is ${show(latest.duration)}, expected whole seconds`);
    expectDate(latest.endTime, "endTime");
    expectDate(latest.dateUpdated, "dateUpdated");
    expect(latest.dateUpdated >= latest.dateCreated, "dateUpdated is before dateCreated");
    if (latest.status === "completed") {
      // Created with MachineDetection=Enable, answered by the sandbox's default (human) callee.
      expectEqual(latest.answeredBy, "human", "answeredBy of a call made with MachineDetection");
    }
    if (latest.startTime !== null) {
      expectDate(latest.startTime, "startTime");
      expect(latest.endTime >= latest.startTime, "endTime is before startTime");
    }
    console.log(`     (${latest.sid}: ${seen.join(" -> ")}, duration ${latest.duration} s)`);
  });

  const paged = [];
  await check("calls.create five calls for the paging checks", async () => {
    for (let i = 0; i < 5; i++) {
      const c = await client.calls.create({ to: TO_PAGED, from: FROM, url: VOICE_URL });
      expectSid(c.sid, "CA", `call ${i + 1}'s sid`);
      expectEqual(c.status, "queued", `call ${i + 1}'s status`);
      paged.push(c.sid);
    }
    expect(new Set(paged).size === 5, `the five sids are not distinct: ${paged.join(", ")}`);
  });

  const callsListUrl = `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`;
  const listRequests = (from) =>
    http.sent.slice(from).filter((r) => r.method === "get" && r.url.pathname === callsListUrl);

  await check("calls.list({to, startTimeAfter, pageSize: 2}) follows next_page_uri over 3 pages",
              async () => {
    const before = http.sent.length;
    const calls = await client.calls.list({ to: TO_PAGED, startTimeAfter: testStart, pageSize: 2 });
    expect(calls.every((c) => c.constructor.name === "CallInstance"), "a listed item is no CallInstance");
    expect(sameSet(calls.map((c) => c.sid), paged),
           `listed ${show(calls.map((c) => c.sid))}, expected the five created ${show(paged)}`);
    expect(calls.every((c) => c.to === TO_PAGED && c.from === FROM),
           "a listed call has another To or From");
    calls.forEach((c, i) => expectDate(c.dateCreated, `dateCreated of item ${i}`));
    for (let i = 1; i < calls.length; i++) {
      expect(calls[i - 1].dateCreated >= calls[i].dateCreated,
             `item ${i - 1} is older than item ${i}: the list is not newest first`);
    }
    const requests = listRequests(before);
    expectEqual(requests.length, 3, "GET Calls.json requests for 5 calls in pages of 2");
    const [first, ...rest] = requests;
    expectEqual(first.url.searchParams.get("To"), TO_PAGED, "To of the first request");
    expectEqual(first.url.searchParams.get("PageSize"), "2", "PageSize of the first request");
    expect(first.url.searchParams.get("StartTime>") !== null,
           "the first request has no StartTime> parameter");
    rest.forEach((r, i) => {
      const what = `next_page_uri followed for page ${i + 1} (${r.url.pathname}${r.url.search})`;
      expectEqual(r.url.searchParams.get("Page"), String(i + 1), `Page of the ${what}`);
      expectEqual(r.url.searchParams.get("PageSize"), "2", `PageSize of the ${what}`);
      expectEqual(r.url.searchParams.get("To"), TO_PAGED, `To of the ${what}`);
      expect(r.url.searchParams.get("StartTime>") !== null, `the ${what} dropped StartTime>`);
    });
  });

  await check("calls.list with limit 3 stops after the second page", async () => {
    const before = http.sent.length;
    const calls = await client.calls.list({ to: TO_PAGED, pageSize: 2, limit: 3 });
    expectEqual(calls.length, 3, "number of calls listed");
    const sids = calls.map((c) => c.sid);
    expect(new Set(sids).size === 3 && sids.every((s) => paged.includes(s)),
           `listed ${show(sids)}, expected 3 distinct of ${show(paged)}`);
    expectEqual(listRequests(before).length, 2, "GET Calls.json requests for limit 3, pages of 2");
  });

  await check("calls.each visits every call across pages", async () => {
    const sids = [];
    await client.calls.each({ to: TO_PAGED, startTimeAfter: testStart, pageSize: 2 },
                            (c) => { sids.push(c.sid); });
    expect(sameSet(sids, paged), `visited ${show(sids)}, expected ${show(paged)}`);
  });

  await check("calls.page: nextPage / previousPage walk the pages", async () => {
    const page1 = await client.calls.page({ to: TO_PAGED, pageSize: 2 });
    expectEqual(page1.instances.length, 2, "calls on page 1");
    expect(typeof page1.nextPageUrl === "string", "page 1 has no nextPageUrl");
    expectEqual(page1.previousPageUrl, undefined, "previousPageUrl of page 1");
    const page2 = await page1.nextPage();
    expectEqual(page2.instances.length, 2, "calls on page 2");
    expect(typeof page2.previousPageUrl === "string", "page 2 has no previousPageUrl");
    const page3 = await page2.nextPage();
    expectEqual(page3.instances.length, 1, "calls on page 3");
    expectEqual(page3.nextPageUrl, undefined, "nextPageUrl of the last page");
    expectEqual(page3.nextPage(), undefined, "nextPage() of the last page");
    const back = await page3.previousPage();
    expectEqual(back.instances.map((c) => c.sid).join(","),
                page2.instances.map((c) => c.sid).join(","), "previousPage() of page 3");
    const sids = [page1, page2, page3].flatMap((p) => p.instances.map((c) => c.sid));
    expect(sameSet(sids, paged), `the three pages hold ${show(sids)}, expected ${show(paged)}`);
  });

  await check("calls.list filters: another To, and StartTime> in the future, find nothing",
              async () => {
    const none = await client.calls.list({ to: TO_NOBODY, pageSize: 2 });
    expectEqual(none.length, 0, "calls listed for a number never called");
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    const later = await client.calls.list({ to: TO_PAGED, startTimeAfter: tomorrow });
    expectEqual(later.length, 0, "calls listed with StartTime> tomorrow");
  });

  await check("calls.create with an invalid To raises RestException 400 / 21211", async () => {
    await expectRestError(client.calls.create({ to: "12345", from: FROM, url: VOICE_URL }), 400, 21211);
  });

  await check("calls.create with a bad From raises RestException 400 / 21212", async () => {
    await expectRestError(client.calls.create({ to: TO_SINGLE, from: "not-a-number", url: VOICE_URL }),
                          400, 21212);
  });

  await check("calls.create without Url raises RestException 400 / 21205", async () => {
    await expectRestError(client.calls.create({ to: TO_SINGLE, from: FROM }), 400, 21205);
  });

  await check("wrong credentials raise RestException 401 / 20003", async () => {
    const intruder = twilio(ACCOUNT_SID, `${AUTH_TOKEN}-wrong`,
                            { httpClient: new SandboxRequestClient(SANDBOX_URL, { timeout: 10000 }) });
    await expectRestError(intruder.calls.create({ to: TO_SINGLE, from: FROM, url: VOICE_URL }),
                          401, 20003);
    await expectRestError(intruder.calls.list({ pageSize: 2 }), 401, 20003);
    if (call !== null) await expectRestError(intruder.calls(call.sid).fetch(), 401, 20003);
  });

  await check("fetching an unknown CA sid raises RestException 404 / 20404", async () => {
    await expectRestError(client.calls(`CA${"f".repeat(32)}`).fetch(), 404, 20404);
  });

  await check("messages.create returns a queued MessageInstance", async () => {
    const body = "Your appointment is tomorrow at 10:00.";
    const message = await client.messages.create({ to: TO_SINGLE, from: FROM, body });
    expectEqual(message.constructor.name, "MessageInstance", "the created object's class");
    expectSid(message.sid, "SM", "sid");
    expectEqual(message.accountSid, ACCOUNT_SID, "accountSid");
    expectEqual(message.status, "queued", "status");
    expectEqual(message.direction, "outbound-api", "direction");
    expectEqual(message.to, TO_SINGLE, "to");
    expectEqual(message.from, FROM, "from");
    expectEqual(message.body, body, "body");
    expectNear(message.dateCreated, "dateCreated");
    expectNear(message.dateUpdated, "dateUpdated");
    expectNull(message.errorCode, "errorCode");
  });

  await check("messages.create with an invalid To raises RestException 400 / 21211", async () => {
    await expectRestError(client.messages.create({ to: "12345", from: FROM, body: "hi" }), 400, 21211);
  });
}

const watchdog = setTimeout(() => {
  console.log(`FAIL: the checks did not finish within ${OVERALL_LIMIT_MS / 1000} s`);
  process.exit(1);
}, OVERALL_LIMIT_MS);

main()
  .catch((e) => {
    failed++;
    console.log(`FAIL: setup: ${describe(e)}`);
  })
  .finally(() => {
    clearTimeout(watchdog);
    console.log(`${passed} passed, ${failed} failed`);
    // Exit now rather than when idle keep-alive sockets close.
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  });
