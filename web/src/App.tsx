import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { lazy, Suspense, type ReactNode } from "react";
import { Api } from "./api/client";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { CommandBarProvider } from "./components/CommandBar";
import { Layout } from "./components/Layout";
import { LiveProvider } from "./live/LiveEvents";
import { LoginPage, SignupPage, useReturnPath } from "./pages/AuthPages";
import { GalleryPage } from "./pages/GalleryPage";
import { HistoryPage } from "./pages/HistoryPage";
import { DesignPage } from "./pages/DesignPage";
import { ReviewPage } from "./pages/ReviewPage";
import { CollectionsPage } from "./pages/CollectionsPage";
import { CollectionPage } from "./pages/CollectionPage";
import { SharedPage } from "./pages/SharedPage";

// Pages most visits never open load when first opened, keeping the first download small.
const CostsPage = lazy(() => import("./pages/CostsPage").then((m) => ({ default: m.CostsPage })));
const AdminCostsPage = lazy(() => import("./pages/AdminCostsPage").then((m) => ({ default: m.AdminCostsPage })));
const PortfolioPage = lazy(() => import("./pages/PortfolioPage").then((m) => ({ default: m.PortfolioPage })));
const StyleProfilePage = lazy(() => import("./pages/StyleProfilePage").then((m) => ({ default: m.StyleProfilePage })));
const PreferencesPage = lazy(() => import("./pages/PreferencesPage").then((m) => ({ default: m.PreferencesPage })));
const NightlyPage = lazy(() => import("./pages/NightlyPage").then((m) => ({ default: m.NightlyPage })));
const AnalyticsPage = lazy(() => import("./pages/AnalyticsPage").then((m) => ({ default: m.AnalyticsPage })));

function Later({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <p className="muted" role="status">
          Loading…
        </p>
      }
    >
      {children}
    </Suspense>
  );
}

function Studio() {
  const { api, user, checking } = useAuth();
  const location = useLocation();
  if (checking) {
    return (
      <div className="boot" aria-busy="true">
        <span className="wordmark large">Designer BFF</span>
      </div>
    );
  }
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return (
    <LiveProvider api={api}>
      <CommandBarProvider>
        <Layout />
      </CommandBarProvider>
    </LiveProvider>
  );
}

function PublicOnly({ children }: { children: ReactNode }) {
  const { user, checking } = useAuth();
  const back = useReturnPath(); // the page a session ended on, once logged in again
  if (checking) return null;
  return user ? <Navigate to={back} replace /> : children;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<PublicOnly><LoginPage /></PublicOnly>} />
      <Route path="/signup" element={<PublicOnly><SignupPage /></PublicOnly>} />
      <Route path="/shared/:token" element={<SharedPage />} />
      <Route element={<Studio />}>
        <Route index element={<GalleryPage />} />
        <Route path="history" element={<HistoryPage />} />
        <Route path="designs/:id" element={<DesignPage />} />
        <Route path="review" element={<ReviewPage />} />
        <Route path="collections" element={<CollectionsPage />} />
        <Route path="collections/:id" element={<CollectionPage />} />
        <Route path="portfolio" element={<Later><PortfolioPage /></Later>} />
        <Route path="style-profile" element={<Later><StyleProfilePage /></Later>} />
        <Route path="preferences" element={<Later><PreferencesPage /></Later>} />
        <Route path="nightly" element={<Later><NightlyPage /></Later>} />
        <Route path="analytics" element={<Later><AnalyticsPage /></Later>} />
        <Route path="costs" element={<Later><CostsPage /></Later>} />
        <Route path="admin/costs" element={<Later><AdminCostsPage /></Later>} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

export function App({ api, queryClient }: { api: Api; queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider api={api}>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  );
}
