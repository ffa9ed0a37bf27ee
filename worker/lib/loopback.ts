/** How the app answers a request: `app.fetch`, handed over by the Worker's entry. */
export type AppHandler = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

let appHandler: AppHandler | null = null;

/**
 * Connects the loopback to the app. The Worker's entry (worker/index.ts) owns the app and calls
 * this once as it loads, so no module below it needs to import the app.
 */
export function connectLoopback(handler: AppHandler): void {
  appHandler = handler;
}

/**
 * A `fetch` that hands requests straight to this Worker's own router, in the same isolate. The
 * sandbox inbox's Cloud API client and the sandbox's webhook deliveries use it, so they travel
 * the real HTTP code paths (serialised requests, signatures, status codes) without a network,
 * which a Worker calling its own hostname would not get.
 */
export function loopbackFetch(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): typeof fetch {
  return async (input, init) => {
    if (!appHandler) throw new Error("the loopback is not connected to the app: the Worker's entry connects it as it loads");
    const request = new Request(input as RequestInfo, init);
    const executionCtx = {
      waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise),
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext;
    return appHandler(request, env, executionCtx);
  };
}
