/**
 * A `fetch` that hands requests straight to this Worker's own router, in the same isolate. The
 * sandbox inbox's Cloud API client and the sandbox's webhook deliveries use it, so they travel
 * the real HTTP code paths (serialised requests, signatures, status codes) without a network,
 * which a Worker calling its own hostname would not get.
 */
export function loopbackFetch(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): typeof fetch {
  return async (input, init) => {
    const { app } = await import("../app");
    const request = new Request(input as RequestInfo, init);
    const executionCtx: ExecutionContext = {
      waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise),
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext;
    return app.fetch(request, env, executionCtx);
  };
}
