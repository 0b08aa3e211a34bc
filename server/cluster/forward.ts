// Requests an instance cannot serve itself (they need the hypervisor drivers or the controller)
// travel over Redis to the active instance: one request channel per instance, one reply channel
// per instance, a correlation id, and a deadline. Redis is the cluster's private backplane, so a
// message on it is trusted like a call inside the process (protect it with a password and TLS).
import "server-only";
import { randomUUID } from "node:crypto";
import { withTimeout, type RedisClient } from "./redis";

export interface ForwardedRequest {
  id: string;
  from: string;
  method: string;
  args: unknown[];
}

export type ForwardedReply = { id: string; ok: true; result: unknown } | { id: string; ok: false; error: WireError };

/** An error as it crosses Redis: its class name picks the class it is rebuilt as. */
export interface WireError {
  name: string;
  message: string;
  data?: unknown;
}

/** No active instance could take the request (none holds the lease, or it did not answer). */
export class ActiveInstanceUnavailableError extends Error {
  override name = "ActiveInstanceUnavailableError";
}

export type Handler = (...args: any[]) => Promise<unknown>;

export interface ForwarderOptions {
  /** Publishes requests and replies (a normal client). */
  pub: RedisClient;
  /** Subscribes to this instance's request and reply channels (a client in subscriber mode). */
  sub: RedisClient;
  prefix: string;
  instance: string;
  timeoutMs: number;
  /** Whether this instance may serve requests now (it holds the lease and its parts run). */
  serving: () => string | null;
  handlers: Record<string, Handler>;
  toWire: (err: unknown) => WireError;
  fromWire: (err: WireError) => Error;
  log?: (line: string) => void;
}

export class Forwarder {
  private readonly waiting = new Map<string, { resolve: (r: ForwardedReply) => void }>();

  constructor(private readonly opts: ForwarderOptions) {}

  private requestChannel(instance: string): string {
    return `${this.opts.prefix}:rpc:req:${instance}`;
  }

  private replyChannel(instance: string): string {
    return `${this.opts.prefix}:rpc:rep:${instance}`;
  }

  async start(): Promise<void> {
    await this.opts.sub.subscribe(this.requestChannel(this.opts.instance), (msg) => void this.serve(msg));
    await this.opts.sub.subscribe(this.replyChannel(this.opts.instance), (msg) => this.receive(msg));
  }

  async stop(): Promise<void> {
    if (!this.opts.sub.isOpen) return;
    await this.opts.sub.unsubscribe([this.requestChannel(this.opts.instance), this.replyChannel(this.opts.instance)]).catch(() => {});
  }

  /**
   * Runs `method` on `target` and returns its result, or throws the error it threw (rebuilt by
   * `fromWire`), or ActiveInstanceUnavailableError when nobody answers within the deadline.
   */
  async call(target: { instance: string; url: string }, method: string, args: unknown[]): Promise<unknown> {
    const req: ForwardedRequest = { id: randomUUID(), from: this.opts.instance, method, args };
    const reply = new Promise<ForwardedReply>((resolve) => this.waiting.set(req.id, { resolve }));
    try {
      const receivers = await withTimeout(this.opts.pub.publish(this.requestChannel(target.instance), JSON.stringify(req)), this.opts.timeoutMs, "forwarding");
      if (Number(receivers) === 0) throw new ActiveInstanceUnavailableError(`the active instance ${target.instance} (${target.url}) is not listening for requests; try again once another instance has taken over`);
      let timer: NodeJS.Timeout | undefined;
      const answer = await Promise.race([
        reply,
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), this.opts.timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (!answer) throw new ActiveInstanceUnavailableError(`the active instance ${target.instance} (${target.url}) did not answer ${method} within ${this.opts.timeoutMs} ms`);
      if (answer.ok) return answer.result;
      if (answer.error.name === ActiveInstanceUnavailableError.name) throw new ActiveInstanceUnavailableError(answer.error.message);
      throw this.opts.fromWire(answer.error);
    } finally {
      this.waiting.delete(req.id);
    }
  }

  private receive(raw: string): void {
    let reply: ForwardedReply;
    try {
      reply = JSON.parse(raw) as ForwardedReply;
    } catch {
      return;
    }
    this.waiting.get(reply.id)?.resolve(reply);
  }

  private async serve(raw: string): Promise<void> {
    let req: ForwardedRequest;
    try {
      req = JSON.parse(raw) as ForwardedRequest;
      if (typeof req.id !== "string" || typeof req.from !== "string" || typeof req.method !== "string" || !Array.isArray(req.args)) throw new Error("malformed");
    } catch {
      this.opts.log?.("forwarding: ignored a malformed request");
      return;
    }
    let reply: ForwardedReply;
    const refusal = this.opts.serving();
    const handler = Object.hasOwn(this.opts.handlers, req.method) ? this.opts.handlers[req.method] : undefined;
    if (refusal) reply = { id: req.id, ok: false, error: { name: ActiveInstanceUnavailableError.name, message: refusal } };
    else if (!handler) reply = { id: req.id, ok: false, error: { name: "Error", message: `unknown forwarded method "${req.method}"` } };
    else {
      try {
        reply = { id: req.id, ok: true, result: (await handler(...req.args)) ?? null };
      } catch (err) {
        reply = { id: req.id, ok: false, error: this.opts.toWire(err) };
      }
    }
    await this.opts.pub.publish(this.replyChannel(req.from), JSON.stringify(reply)).catch((e: Error) => this.opts.log?.(`forwarding: reply to ${req.from} lost: ${e.message}`));
  }
}
