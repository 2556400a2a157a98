import { Code, ConnectError } from '@connectrpc/connect';

/** An error as the console shows it: a headline, the detail, and what follows from it. */
export interface Problem {
  title: string;
  detail: string;
  /** The gateway refused the token: the console signs out. */
  signedOut?: boolean;
  /** The catalog changed under the cart (a price): the console reloads it. */
  catalogChanged?: boolean;
}

const INSUFFICIENT = /insufficient stock for product \S+ \(([^)]+)\): requested (\d+), available (\d+)/;
const PRICE = /the price of (\S+) is (\S+ \w+), not (\S+ \w+)/;
const UNKNOWN = /product ("[^"]*"|\S+) does not exist/;

/**
 * What went wrong, in words a shopper or an operator can act on. The
 * gateway's codes are the contract (README, "Errors"); its messages name the
 * product or field at fault and are shown too.
 */
export function describeError(err: unknown): Problem {
  if (!(err instanceof ConnectError)) {
    return { title: 'Cannot reach the gateway', detail: err instanceof Error ? err.message : String(err) };
  }
  const message = err.rawMessage;
  switch (err.code) {
    case Code.Unauthenticated:
      return { title: 'Signed out', detail: 'The gateway did not accept your token (missing, expired or not valid). Sign in again.', signedOut: true };
    case Code.PermissionDenied:
      return { title: 'Not allowed', detail: `Your token does not allow this: ${message}` };
    case Code.FailedPrecondition: {
      const stock = INSUFFICIENT.exec(message);
      if (stock) return { title: 'Not enough stock', detail: `${stock[1]}: you asked for ${stock[2]}, only ${stock[3]} available. Nothing was reserved.` };
      const price = PRICE.exec(message);
      if (price) {
        return {
          title: 'The price changed',
          detail: `${price[1]} now costs ${price[2]}, not ${price[3]}. Your cart shows the new price: check it and place the order again.`,
          catalogChanged: true,
        };
      }
      return { title: 'Not possible right now', detail: message };
    }
    case Code.InvalidArgument: {
      const unknown = UNKNOWN.exec(message);
      if (unknown) return { title: 'Unknown product', detail: `Product ${unknown[1]} is not in the catalog.`, catalogChanged: true };
      return { title: 'Check the order', detail: message };
    }
    case Code.ResourceExhausted: {
      const retryAfter = Number(err.metadata.get('retry-after'));
      const when = retryAfter > 0 ? `in ${retryAfter} s` : 'in a moment';
      return { title: 'Too many requests', detail: `The gateway is throttling you (${message}). Try again ${when}.` };
    }
    case Code.NotFound:
      return { title: 'Not found', detail: message };
    case Code.AlreadyExists:
      return { title: 'Order id already used', detail: message };
    case Code.Unavailable:
      return { title: 'The shop is unavailable', detail: `${message}. Try again shortly: placing the same order again is safe.` };
    default:
      return { title: 'Something went wrong', detail: `${Code[err.code] ?? err.code}: ${message}` };
  }
}
