export default function Home() {
  return (
    <main className="mx-auto max-w-3xl p-10">
      <h1 className="text-3xl font-semibold">ScrapeFlow</h1>
    </main>
  );
}
