import Link from 'next/link';
import type { ReactNode } from 'react';

export function AppHeader({ children }: { children?: ReactNode }) {
  return (
    <header className="app-header">
      <Link href="/" className="brand">
        Parley
      </Link>
      {children}
    </header>
  );
}
