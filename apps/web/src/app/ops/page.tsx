import type { Metadata } from 'next';
import { OpsScreen } from '@/components/ops/ops-screen';

export const metadata: Metadata = { title: 'Operations · Parley' };

export default function OpsPage() {
  return <OpsScreen />;
}
