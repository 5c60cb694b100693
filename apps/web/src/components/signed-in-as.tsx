import type { ReactNode } from 'react';

/**
 * Who this browser is signed in as, said in words (a bare name reads as anyone's), with the
 * way to change it. A long name is cut short with "…", whole in its title.
 */
export function SignedInAs({ name, change }: { name: string; change: ReactNode }) {
  return (
    <p className="signed-in" data-testid="signed-in">
      <span className="signed-in-who">
        Signed in as{' '}
        <strong dir="auto" title={name}>
          {name}
        </strong>
      </span>{' '}
      {change}
    </p>
  );
}
