/** Preloaded into the web app's server (`node --import ./server/forwarded-for.mjs …next start`): appends the
 * address each request came from to X-Forwarded-For before Next.js sees it. Next.js passes a client-sent header
 * on untouched (and adds the peer only when there is none), so without this anyone could pick the address the
 * API counts their sign-in attempts against. The API believes the header only from FORWARDED_ALLOW_IPS. */
import http from "node:http";

const emit = http.Server.prototype.emit;

/** The peer as the API compares it: an IPv4 client of a dual-stack socket without its `::ffff:` prefix. */
function peerAddress(request) {
  const address = request.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

http.Server.prototype.emit = function emitWithClientAddress(event, ...args) {
  if (event === "request") {
    const [request] = args;
    const peer = peerAddress(request);
    if (peer) {
      const claimed = request.headers["x-forwarded-for"];
      request.headers["x-forwarded-for"] = claimed ? `${claimed}, ${peer}` : peer;
    }
  }
  return emit.call(this, event, ...args);
};
