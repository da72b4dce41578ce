subroutine axpy(n, a, x, y)
  implicit none
  integer, intent(in) :: n
  double precision, intent(in) :: a, x(n)
  double precision, intent(inout) :: y(n)
  integer :: i
  !$omp parallel do
  do i = 1, n
    y(i) = y(i) + a * x(i)
  end do
  !$omp end parallel do
end subroutine axpy
