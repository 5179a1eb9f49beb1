import helmet from 'helmet';

/**
 * Security headers for every response. Pages load only their own scripts and styles (no inline code),
 * may be framed only by the same origin (Plesk shows us on its own origin through the proxy),
 * and send no referrer, so a Plesk token in a URL never leaks to another site.
 */
export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'sameorigin' },
    crossOriginEmbedderPolicy: false,
  });
}
