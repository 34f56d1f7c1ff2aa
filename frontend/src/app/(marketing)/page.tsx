import { Landing } from "@/features/marketing/landing";

export default function HomePage() {
  return <Landing />;
}
