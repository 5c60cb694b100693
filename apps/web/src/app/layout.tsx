import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { ChatProvider } from '@/chat/provider';
import { env } from '@/env';
import './globals.css';

// The server URL comes from the environment at request time, so one build serves any deployment.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: 'Parley',
  description: 'Realtime rooms: chat, presence and live updates.',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <ChatProvider defaultServerUrl={env.PARLEY_SERVER_URL}>{children}</ChatProvider>
      </body>
    </html>
  );
}
