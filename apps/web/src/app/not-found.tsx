import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="centered">
      <h1>Nothing here</h1>
      <p>
        That page does not exist. Room and workspace names use lowercase letters, digits and dashes.
      </p>
      <Link href="/">Back to the lobby</Link>
    </main>
  );
}
