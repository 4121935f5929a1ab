import assert from "node:assert/strict";
import {
  assertPublicHost,
  dnsResolve,
  isPrivateAddress,
  PrivateAddressError,
  UnresolvableHostError,
} from "./network-address.ts";

Deno.test("loopback, link-local, private and unspecified addresses are private", () => {
  for (
    const address of [
      "127.0.0.1",
      "127.255.255.254",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.10",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fe80::1",
      "fe80::1%eth0",
      "fd00:ec2::254",
      "fc12:3456::1",
      "::ffff:127.0.0.1",
      "::ffff:169.254.169.254",
      "::ffff:a9fe:a9fe",
    ]
  ) {
    assert.equal(isPrivateAddress(address), true, address);
  }
});

Deno.test("public addresses are not private", () => {
  for (
    const address of [
      "8.8.8.8",
      "172.32.0.1",
      "172.15.255.255",
      "192.169.0.1",
      "100.128.0.1",
      "1.1.1.1",
      "2606:4700:4700::1111",
      "2001:db8::1",
      "::ffff:8.8.8.8",
      "fec0::1",
    ]
  ) {
    assert.equal(isPrivateAddress(address), false, address);
  }
});

Deno.test("a host is refused when any of its addresses is private", async () => {
  const resolve = (answers: Record<string, string[]>) => (host: string) =>
    Promise.resolve(answers[host] ?? []);
  await assertPublicHost(
    "https://send.example.test/api",
    resolve({ "send.example.test": ["203.0.113.7"] }),
  );
  await assert.rejects(
    assertPublicHost(
      "https://rebind.example.test",
      resolve({ "rebind.example.test": ["203.0.113.7", "10.0.0.5"] }),
    ),
    (error: Error) => error instanceof PrivateAddressError && /10\.0\.0\.5/.test(error.message),
  );
  await assert.rejects(
    assertPublicHost("https://nowhere.example.test", resolve({})),
    UnresolvableHostError,
  );
});

Deno.test("IP literals and localhost are judged without DNS", async () => {
  await assert.rejects(assertPublicHost("http://127.0.0.1:54329"), PrivateAddressError);
  await assert.rejects(assertPublicHost("http://[::1]:8080/"), PrivateAddressError);
  await assert.rejects(assertPublicHost("http://localhost:8080/"), PrivateAddressError);
  await assertPublicHost("https://203.0.113.9/");
});

Deno.test("names are resolved by DNS queries, A and AAAA together, as the hosted runtime does", async () => {
  const asked: string[] = [];
  const dns = (records: Record<string, string[]>) =>
    dnsResolve((name, type) => {
      asked.push(`${name} ${type}`);
      const found = records[`${name} ${type}`];
      return found ? Promise.resolve(found) : Promise.reject(new Error(`no ${type} record`));
    });
  const both = dns({
    "send.example.test A": ["203.0.113.7"],
    "send.example.test AAAA": ["fd00::1"],
  });
  assert.deepEqual(await both("Send.Example.Test."), ["203.0.113.7", "fd00::1"]);
  await assert.rejects(
    assertPublicHost("https://send.example.test", both),
    PrivateAddressError,
    "a private AAAA record is found beside a public A record",
  );
  assert.deepEqual(await dns({ "v6.example.test AAAA": ["2001:db8::1"] })("v6.example.test"), [
    "2001:db8::1",
  ]);
  await assert.rejects(dns({})("nowhere.example.test"), /no A record/);
  asked.length = 0;
  assert.deepEqual(await dns({})("app.localhost"), ["127.0.0.1", "::1"]);
  assert.deepEqual(asked, [], "localhost names never reach DNS");
});
