import { deepEqual, equal, ok } from "node:assert/strict";
import { urlFacts } from "../../../core/match/url.ts";

Deno.test("urlFacts drops the scheme and default port and lower-cases the host", () => {
  const facts = urlFacts("HTTPS://Docs.Example.COM:443/Guide?q=1");
  equal(facts.host, "docs.example.com");
  equal(facts.port, 443);
  equal(facts.scheme, "https");
  equal(facts.forms[0], "docs.example.com/guide?q=1");
});

Deno.test("urlFacts lists parent domains so stripe.com patterns cover api.stripe.com", () => {
  ok(urlFacts("https://api.stripe.com/v1/charges").forms.includes("stripe.com/v1/charges"));
});

Deno.test("urlFacts decodes percent-encoding, also when doubled", () => {
  ok(urlFacts("https://shop.example/%63heckout").forms.includes("shop.example/checkout"));
  ok(urlFacts("https://shop.example/%2563heckout").forms.includes("shop.example/checkout"));
});

Deno.test("urlFacts keeps a non-default port and reads CONNECT authorities", () => {
  deepEqual(urlFacts("http://127.0.0.1:8080/x").forms, ["127.0.0.1:8080/x"]);
  const connect = urlFacts("example.com:443");
  equal(connect.host, "example.com");
  equal(connect.port, 443);
});

Deno.test("urlFacts survives junk", () => {
  const facts = urlFacts("http://[::1");
  equal(facts.host, "");
  equal(facts.forms.length, 1);
});
