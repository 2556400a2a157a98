import type http from 'node:http';
import { CATALOG_ADMIN, ORDERS_ADMIN, signDevToken } from '@order-system/auth';
import serveStatic from 'serve-static';

/**
 * The web console's built files (apps/console), served same-origin under
 * /console/: the browser then calls Connect on the same host, with no CORS.
 * Without a directory, /console/ is not served.
 */
export function consoleFiles(dir: string | undefined) {
  const serve = dir ? serveStatic(dir, { index: ['index.html'], fallthrough: false, maxAge: '1h' }) : undefined;
  return (req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean => {
    if (!serve || (url.pathname !== '/console' && !url.pathname.startsWith('/console/'))) return false;
    if (url.pathname === '/console') {
      res.writeHead(308, { location: '/console/' }).end();
      return true;
    }
    req.url = req.url!.slice('/console'.length);
    serve(req, res, (err?: { statusCode?: number }) => {
      res.writeHead(err?.statusCode ?? 404, { 'content-type': 'text/plain' }).end('not found');
    });
    return true;
  };
}

/**
 * The local stack's dev signer: POST /dev/token {"sub", "admin"?} answers a
 * token signed with the dev key, for the console's "sign in as" button. On
 * only when a dev signing key is configured, which production refuses
 * (config.ts); a stack with real identity has no such endpoint.
 */
export function devSigner(privateKeyFile: string | undefined) {
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== '/dev/token') return false;
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!privateKeyFile) return (send(404, { code: 'not_found', message: 'the dev signer is off' }), true);
    if (req.method !== 'POST') return (send(405, { code: 'method_not_allowed', message: 'POST {"sub": "<user_id>"}' }), true);
    let body: { sub?: unknown; admin?: unknown };
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > 4096) return (send(413, { code: 'resource_exhausted', message: 'body too large' }), true);
        chunks.push(chunk as Buffer);
      }
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return (send(400, { code: 'invalid_argument', message: 'body must be JSON: {"sub": "<user_id>", "admin": false}' }), true);
    }
    if (typeof body?.sub !== 'string' || !/^[A-Za-z0-9._:@-]{1,64}$/.test(body.sub)) {
      return (send(400, { code: 'invalid_argument', message: 'sub must be 1-64 characters of [A-Za-z0-9._:@-]' }), true);
    }
    const scopes = body.admin === true ? [ORDERS_ADMIN, CATALOG_ADMIN] : [];
    send(200, { token: await signDevToken(privateKeyFile, { sub: body.sub, scopes, ttlSec: 8 * 3600 }) });
    return true;
  };
}
