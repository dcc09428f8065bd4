import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <div className="page page--narrow">
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link to="/">Back to the flows</Link>
      </p>
    </div>
  );
}
