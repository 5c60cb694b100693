import { RoomName, WorkspaceSlug } from '@parley/protocol';
import { notFound } from 'next/navigation';
import { RoomScreen } from '@/components/room-screen';

export default async function RoomPage({
  params,
}: {
  params: Promise<{ workspace: string; room: string }>;
}) {
  const { workspace, room } = await params;
  if (!WorkspaceSlug.safeParse(workspace).success || !RoomName.safeParse(room).success) notFound();
  return <RoomScreen workspace={workspace} room={room} />;
}
